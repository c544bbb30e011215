import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { servingCertificateFits, servingHosts } from "./generate.ts";
import { applyPlan, planCertificates, pruneBundle, type CertificateSet } from "./rotation.ts";
import { fromSecretData, toSecretData } from "./secret-format.ts";
import { MINUTE, TEST_POLICY } from "../testing/cert-policy.ts";

const policy = TEST_POLICY;
const at = (minutes: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, 0) + minutes * MINUTE);

async function step(set: CertificateSet | undefined, minutes: number): Promise<CertificateSet> {
  return applyPlan(set, planCertificates(set, policy, at(minutes)), policy, at(minutes));
}

describe("certificate generation", () => {
  it("issues a serving certificate for the Service names and loopback, signed by the CA", async () => {
    const set = await step(undefined, 0);
    const cert = new X509Certificate(set.serving.cert);
    expect(cert.subjectAltName).toContain("DNS:slipway-webhook.slipway-system.svc");
    expect(cert.subjectAltName).toContain("DNS:slipway-webhook.slipway-system.svc.cluster.local");
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(cert.verify(new X509Certificate(set.ca.cert).publicKey)).toBe(true);
    expect(new X509Certificate(set.ca.cert).ca).toBe(true);
    expect(Date.parse(cert.validTo) - at(0).getTime()).toBe(30 * MINUTE);
    expect(servingCertificateFits(set.serving, set.ca.cert, policy.hosts)).toBe(true);
    const inCluster = servingHosts("slipway-webhook", "other", false);
    expect(servingCertificateFits(set.serving, set.ca.cert, inCluster)).toBe(false);
  });

  it("round-trips through the Secret's data", async () => {
    const set = await step(await step(undefined, 0), 61);
    expect(set.nextCa).toBeDefined();
    expect(fromSecretData(toSecretData(set))).toEqual(set);
    expect(fromSecretData({ "tls.crt": "eA==" })).toBeUndefined();
  });
});

describe("rotation decisions", () => {
  it("keeps fresh certificates and says when to look again", async () => {
    const set = await step(undefined, 0);
    const plan = planCertificates(set, policy, at(5));
    // The serving certificate (30 min, backdated 1 min) enters its last third first.
    expect(plan).toEqual({
      type: "keep",
      checkAt: new Date(at(0).getTime() + 30 * MINUTE - (31 * MINUTE) / 3),
    });
  });

  it("reissues the serving certificate from the same CA once a third of its lifetime remains", async () => {
    const set = await step(undefined, 0);
    expect(planCertificates(set, policy, at(19)).type).toBe("keep");
    const plan = planCertificates(set, policy, at(21));
    expect(plan.type).toBe("reissue-serving");
    const next = await applyPlan(set, plan, policy, at(21));
    expect(next.ca).toEqual(set.ca);
    expect(next.caBundle).toEqual(set.caBundle);
    expect(next.serving.cert).not.toBe(set.serving.cert);
  });

  it("reissues a serving certificate that does not cover the hosts", async () => {
    const set = await step(undefined, 0);
    const moved = { ...policy, hosts: servingHosts("slipway-webhook", "elsewhere", false) };
    expect(planCertificates(set, moved, at(1)).type).toBe("reissue-serving");
  });

  it("rotates the CA in two phases: trusted first, signing after the overlap, old CA kept until it expires", async () => {
    const created = await step(undefined, 0);
    const first = await step(created, 41); // serving certificate reissued: valid until minute 71
    expect(first.ca).toEqual(created.ca);
    expect(planCertificates(first, policy, at(61)).type).toBe("introduce-ca");
    const introduced = await step(first, 61);
    expect(introduced.ca).toEqual(first.ca); // still signing
    expect(introduced.caBundle).toEqual([first.ca.cert, introduced.nextCa?.cert]);
    expect(planCertificates(introduced, policy, at(62)).type).toBe("keep");
    expect(planCertificates(introduced, policy, at(63)).type).toBe("promote-ca");
    const promoted = await step(introduced, 63);
    expect(promoted.ca).toEqual(introduced.nextCa);
    expect(promoted.nextCa).toBeUndefined();
    expect(promoted.caBundle).toEqual([first.ca.cert, promoted.ca.cert]);
    expect(servingCertificateFits(promoted.serving, promoted.ca.cert, policy.hosts)).toBe(true);
    expect(pruneBundle(promoted.caBundle, at(91))).toEqual([promoted.ca.cert]);
  });

  it("starts over when the CA has expired", async () => {
    const set = await step(undefined, 0);
    expect(planCertificates(set, policy, at(100))).toMatchObject({
      type: "create",
      reason: "the CA expired",
    });
  });
});
