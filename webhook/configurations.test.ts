import { describe, expect, it } from "vitest";
import { containsAll } from "./configuration-patch.ts";
import { mutatingConfiguration, validatingConfiguration } from "./configurations.ts";

type Hook = Record<string, unknown> & { clientConfig: Record<string, unknown> };
const webhooks = (c: Record<string, unknown>) => c["webhooks"] as Hook[];
const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("the slipway webhook configurations", () => {
  const local = {
    endpoint: { type: "url", baseUrl: "https://127.0.0.1:9443/" },
    caBundle: ca,
    namespace: "slipway-system",
  } as const;

  it("point local mode at 127.0.0.1 by URL with the CA bundle, fail closed, with the SPEC settings", () => {
    const [workloads, rollouts] = webhooks(mutatingConfiguration(local));
    expect(workloads?.clientConfig).toEqual({
      url: "https://127.0.0.1:9443/mutate-workload",
      caBundle: Buffer.from(ca).toString("base64"),
    });
    expect(rollouts?.clientConfig["url"]).toBe("https://127.0.0.1:9443/mutate-rollout");
    for (const hook of [
      ...webhooks(mutatingConfiguration(local)),
      ...webhooks(validatingConfiguration(local)),
    ]) {
      expect(hook).toMatchObject({
        failurePolicy: "Fail",
        sideEffects: "None",
        timeoutSeconds: 5,
        admissionReviewVersions: ["v1"],
      });
    }
    expect(workloads).toMatchObject({
      objectSelector: { matchExpressions: [{ key: "rollouts.slipway.dev/managed-by", operator: "Exists" }] },
      namespaceSelector: {
        matchExpressions: [
          {
            key: "kubernetes.io/metadata.name",
            operator: "NotIn",
            values: ["kube-system", "slipway-system"],
          },
        ],
      },
    });
    expect(JSON.stringify(workloads?.["rules"])).toContain('"clonesets"');
  });

  it("reference the Service in the cluster and validate templates on /validate-rollout", () => {
    const inCluster = {
      endpoint: { type: "service", namespace: "slipway", name: "slipway-webhook", port: 443 },
      caBundle: undefined,
      namespace: "slipway",
    } as const;
    const [validate] = webhooks(validatingConfiguration(inCluster));
    expect(validate?.clientConfig).toEqual({
      service: { namespace: "slipway", name: "slipway-webhook", port: 443, path: "/validate-rollout" },
    });
    expect(JSON.stringify(validate?.["rules"])).toContain('"analysistemplates","clusteranalysistemplates"');
  });
});

describe("containsAll (is the live configuration already what Slipway wants?)", () => {
  it("ignores fields the API server added and notices any field Slipway sets", () => {
    expect(
      containsAll({ a: 1, b: { c: [1, { d: 2, e: 3 }] }, extra: true }, { a: 1, b: { c: [1, { d: 2 }] } }),
    ).toBe(true);
    expect(containsAll({ a: 1, b: { c: [1] } }, { a: 1, b: { c: [1, 2] } })).toBe(false);
    expect(containsAll({ a: "x" }, { a: "y" })).toBe(false);
  });
});
