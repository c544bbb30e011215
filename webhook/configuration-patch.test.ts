import { describe, expect, it } from "vitest";
import { planConfiguration, type LiveConfiguration } from "./configuration-patch.ts";
import { mutatingConfiguration, validatingConfiguration, type WebhookEndpoint } from "./configurations.ts";

type Json = Record<string, unknown>;
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const CA_B64 = Buffer.from(CA).toString("base64");
const service: WebhookEndpoint = {
  type: "service",
  namespace: "slipway",
  name: "slipway-webhook",
  port: 443,
};
const local: WebhookEndpoint = { type: "url", baseUrl: "https://127.0.0.1:9443" };
const input = (endpoint: WebhookEndpoint, withCa = true) => ({
  endpoint,
  caBundle: withCa ? CA : undefined,
  namespace: "slipway",
});

/** What the API server holds after `helm install`: Helm's metadata, no caBundle, defaults filled in. */
function helmInstalled(): LiveConfiguration {
  const rendered = mutatingConfiguration(input(service, false));
  const live: Json = {
    ...rendered,
    metadata: {
      name: "slipway",
      resourceVersion: "41",
      labels: { "app.kubernetes.io/managed-by": "Helm", team: "platform" },
      annotations: { "meta.helm.sh/release-name": "slipway" },
    },
    webhooks: (rendered["webhooks"] as Json[]).map((h) => ({ ...h, namespaceSelector: {} })),
  };
  return live;
}

describe("planConfiguration in a cluster (the Helm chart owns the object)", () => {
  it("patches only the caBundle of each of Slipway's webhooks, conditional on the resourceVersion read", () => {
    const plan = planConfiguration(helmInstalled(), mutatingConfiguration(input(service)), "caBundle");
    expect(plan).toEqual({
      type: "patch",
      missing: [],
      ops: [
        { op: "replace", path: "/metadata/resourceVersion", value: "41" },
        { op: "test", path: "/webhooks/0/name", value: "workloads.rollouts.slipway.dev" },
        { op: "add", path: "/webhooks/0/clientConfig/caBundle", value: CA_B64 },
        { op: "test", path: "/webhooks/1/name", value: "rollouts.rollouts.slipway.dev" },
        { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: CA_B64 },
      ],
    });
    // Nothing under metadata but the precondition: labels and annotations are never written.
    if (plan.type !== "patch") throw new Error("expected a patch");
    expect(plan.ops.filter((op) => op.path.startsWith("/metadata/"))).toHaveLength(1);
  });

  it("leaves a configuration alone when its caBundles are current, whatever else differs", () => {
    const live = helmInstalled();
    const hooks = (live.webhooks ?? []).map((h) => ({
      ...h,
      timeoutSeconds: 9, // a person's edit: not Slipway's to revert in a cluster
      clientConfig: { ...(h["clientConfig"] as Json), caBundle: CA_B64 },
    }));
    expect(
      planConfiguration({ ...live, webhooks: hooks }, mutatingConfiguration(input(service)), "caBundle"),
    ).toEqual({ type: "unchanged" });
  });

  it("finds its webhooks by name, wherever they sit, and reports one it may not add", () => {
    const validating = validatingConfiguration(input(service, false));
    const foreign = { name: "audit.example.com", clientConfig: { url: "https://audit.example.com" } };
    const live = {
      metadata: { resourceVersion: "7" },
      webhooks: [foreign, ...(validating["webhooks"] as Json[])],
    };
    const plan = planConfiguration(live, validatingConfiguration(input(service)), "caBundle");
    expect(plan).toMatchObject({
      type: "patch",
      ops: [
        { op: "replace", path: "/metadata/resourceVersion" },
        { op: "test", path: "/webhooks/1/name", value: "rollouts.rollouts.slipway.dev" },
        { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: CA_B64 },
      ],
    });
    expect(
      planConfiguration({ metadata: { resourceVersion: "7" }, webhooks: [foreign] }, validating, "caBundle"),
    ).toEqual({ type: "patch", ops: [], missing: ["rollouts.rollouts.slipway.dev"] });
  });

  it("never creates a configuration the chart should have installed", () => {
    expect(planConfiguration(undefined, mutatingConfiguration(input(service)), "caBundle")).toEqual({
      type: "absent",
    });
  });
});

describe("planConfiguration in local mode (Slipway registered the object itself)", () => {
  it("creates an absent configuration", () => {
    expect(planConfiguration(undefined, mutatingConfiguration(input(local)), "entries")).toEqual({
      type: "create",
    });
  });

  it("replaces its own entries whole when they differ (a new port), adds a missing one, keeps the rest", () => {
    const before = mutatingConfiguration(input(local));
    const [workloads] = before["webhooks"] as Json[];
    const foreign = { name: "audit.example.com", clientConfig: { url: "https://audit.example.com" } };
    const live = {
      metadata: { resourceVersion: "3", labels: { team: "x" } },
      webhooks: [foreign, workloads!],
    };
    const moved = mutatingConfiguration(input({ type: "url", baseUrl: "https://127.0.0.1:9555" }));
    const [newWorkloads, newRollouts] = moved["webhooks"] as Json[];
    expect(planConfiguration(live, moved, "entries")).toEqual({
      type: "patch",
      missing: [],
      ops: [
        { op: "replace", path: "/metadata/resourceVersion", value: "3" },
        { op: "test", path: "/webhooks/1/name", value: "workloads.rollouts.slipway.dev" },
        { op: "replace", path: "/webhooks/1", value: newWorkloads },
        { op: "add", path: "/webhooks/-", value: newRollouts },
      ],
    });
    expect(
      planConfiguration(
        { ...live, webhooks: [foreign, ...(before["webhooks"] as Json[])] },
        before,
        "entries",
      ),
    ).toEqual({
      type: "unchanged",
    });
  });
});
