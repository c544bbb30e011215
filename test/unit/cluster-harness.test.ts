// Unit tests of the pure parts of the test harness: certificates, polling, revision grouping, kwok stages.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { parse } from "yaml";
import { createCa, issueCert, selfSignedServingCert } from "../cluster/pki.ts";
import { WaitTimeoutError, done, notYet, waitFor } from "../cluster/wait.ts";
import { groupByRevision } from "../e2e/lib/pods.ts";
import { kwokStages, renderKwokStages } from "../cluster/kwok-stages.ts";

describe("pki", () => {
  test("a leaf certificate is signed by the CA and carries the requested SANs and groups", () => {
    const ca = createCa("unit-ca");
    const leaf = issueCert(ca, {
      commonName: "kube-apiserver",
      organizations: ["system:masters"],
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(leaf.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(cert.subject).toContain("O=system:masters");
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
  });

  test("a self-signed serving certificate is its own trust anchor for 127.0.0.1", () => {
    const { certPem } = selfSignedServingCert();
    const cert = new X509Certificate(certPem);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });
});

describe("waitFor", () => {
  test("returns the probe's value once it is done", async () => {
    let calls = 0;
    const value = await waitFor("third call", () => (++calls === 3 ? done("ok") : notYet(calls)), {
      intervalMs: 1,
    });
    expect(value).toBe("ok");
    expect(calls).toBe(3);
  });

  test("on timeout, names what it waited for, the last observed state and the described state", async () => {
    let n = 0;
    const err = await waitFor("replicas ready", () => notYet({ ready: ++n }), {
      timeoutMs: 30,
      intervalMs: 5,
      describeState: () => "pods: 1/4 ready",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    const message = (err as Error).message;
    expect(message).toContain("waiting for: replicas ready");
    expect(message).toContain(`{ ready: ${n} }`);
    expect(message).toContain("pods: 1/4 ready");
    expect((err as WaitTimeoutError).lastObserved).toEqual({ ready: n });
  });

  test("a throwing probe counts as not yet and its error is the last observed state", async () => {
    const err = await waitFor(
      "api reachable",
      () => {
        throw new Error("ECONNREFUSED");
      },
      { timeoutMs: 10, intervalMs: 2 },
    ).catch((e: unknown) => e as Error);
    expect((err as Error).message).toContain("Error: ECONNREFUSED");
  });
});

describe("groupByRevision", () => {
  const pod = (name: string, hash: string, created: string, ready: boolean, deleting = false): V1Pod => ({
    metadata: {
      name,
      labels: { "pod-template-hash": hash },
      creationTimestamp: new Date(created),
      deletionTimestamp: deleting ? new Date(created) : undefined,
    },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });

  test("groups by pod-template-hash, oldest revision first, counting ready and terminating pods", () => {
    const groups = groupByRevision([
      pod("web-new-1", "new", "2026-01-02T00:00:00Z", false),
      pod("web-old-1", "old", "2026-01-01T00:00:00Z", true),
      pod("web-old-2", "old", "2026-01-01T00:00:01Z", true, true),
      pod("web-new-2", "new", "2026-01-02T00:00:01Z", true),
    ]);
    expect(groups.map((g) => [g.revision, g.total, g.ready, g.terminating])).toEqual([
      ["old", 1, 1, 1],
      ["new", 2, 1, 0],
    ]);
  });

  test("StatefulSet pods are grouped by controller-revision-hash and carry their ordinal", () => {
    const [group] = groupByRevision([
      {
        metadata: {
          name: "db-3",
          labels: { "controller-revision-hash": "db-7f" },
          ownerReferences: [{ kind: "StatefulSet", name: "db", apiVersion: "apps/v1", uid: "u" }],
        },
      },
    ]);
    expect(group?.revision).toBe("db-7f");
    expect(group?.pods[0]?.ordinal).toBe(3);
  });
});

describe("kwok stages", () => {
  test("render to YAML documents kwok can load, one Stage per behaviour", () => {
    const docs = renderKwokStages({ podReadyDelayMs: 1000, crashIntervalMs: 2000 })
      .split("---\n")
      .map((d) => parse(d) as { kind: string; metadata: { name: string } });
    expect(docs.every((d) => d.kind === "Stage")).toBe(true);
    expect(docs.map((d) => d.metadata.name)).toEqual(
      kwokStages({ podReadyDelayMs: 1, crashIntervalMs: 1 }).map(
        (s) => (s["metadata"] as { name: string }).name,
      ),
    );
  });

  test("the ready delay and crash interval come from the options", () => {
    const stages = kwokStages({ podReadyDelayMs: 1234, crashIntervalMs: 4321 });
    const spec = (name: string) =>
      (stages.find((s) => (s["metadata"] as { name: string }).name === name)?.["spec"] ?? {}) as {
        delay?: { durationMilliseconds?: number };
      };
    expect(spec("slipway-pod-ready").delay?.durationMilliseconds).toBe(1234);
    expect(spec("slipway-pod-crash-restart").delay?.durationMilliseconds).toBe(4321);
  });
});
