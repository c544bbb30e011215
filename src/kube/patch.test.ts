import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "./client.ts";
import { ConflictError } from "./errors.ts";
import {
  jsonPatch,
  jsonPointer,
  mergePatch,
  patchStatus,
  replaceStatus,
  serverSideApply,
  strategicMergePatch,
} from "./patch.ts";
import { DEPLOYMENTS, ROLLOUTS } from "./resources.ts";
import type { KubeObject } from "./resources.ts";
import { FakeApiServer } from "./testing/fake-apiserver.ts";

interface Thing extends KubeObject {
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
}

const server = new FakeApiServer();
let client: KubeClient;
beforeAll(async () => {
  await server.start();
  client = new KubeClient(server.kubeConfig());
});
afterAll(() => server.stop());

const deploy = (name: string) => ({ resource: DEPLOYMENTS, name, namespace: "shop" });
const rollout = (name: string) => ({ resource: ROLLOUTS, name, namespace: "shop" });
const last = () => server.requests.at(-1);

function seedDeployment(name: string) {
  return server.seed(`/apis/apps/v1/namespaces/shop/deployments/${name}`, {
    metadata: { name, annotations: { keep: "yes" } },
    spec: { replicas: 3, paused: false },
  });
}

describe("patch helpers", () => {
  it("merge patch sends merge-patch+json with the field manager and merges", async () => {
    seedDeployment("m");
    const out = await mergePatch<Thing>(client, deploy("m"), { spec: { paused: true } });
    expect(last()?.contentType).toBe("application/merge-patch+json");
    expect(last()?.path).toBe("/apis/apps/v1/namespaces/shop/deployments/m");
    expect(last()?.query.get("fieldManager")).toBe("slipway");
    expect(out.spec).toEqual({ replicas: 3, paused: true });
  });

  it("merge patch with a stale metadata.resourceVersion fails with ConflictError", async () => {
    const seeded = seedDeployment("stale") as Thing;
    server.mutate("/apis/apps/v1/namespaces/shop/deployments/stale", (o) => ({
      ...o,
      spec: { replicas: 4 },
    }));
    const err = await mergePatch(client, deploy("stale"), {
      metadata: { resourceVersion: seeded.metadata?.resourceVersion },
      spec: { paused: true },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("patch deployments shop/stale failed: 409 Conflict");
  });

  it("JSON patch sends an op list; pointers escape annotation keys", async () => {
    seedDeployment("j");
    const key = "rollouts.slipway.dev/original";
    expect(jsonPointer("metadata", "annotations", key)).toBe(
      "/metadata/annotations/rollouts.slipway.dev~1original",
    );
    const out = await jsonPatch<Thing>(client, deploy("j"), [
      { op: "test", path: "/spec/replicas", value: 3 },
      { op: "add", path: jsonPointer("metadata", "annotations", key), value: "{}" },
    ]);
    expect(last()?.contentType).toBe("application/json-patch+json");
    expect(Array.isArray(last()?.body)).toBe(true);
    expect(out.metadata?.annotations).toEqual({ keep: "yes", [key]: "{}" });
  });

  it("strategic merge patch goes out for built-in kinds", async () => {
    seedDeployment("s");
    await strategicMergePatch(client, deploy("s"), { spec: { replicas: 5 } });
    expect(last()?.contentType).toBe("application/strategic-merge-patch+json");
  });

  it("strategic merge patch on a custom resource is refused before any request, naming the alternative", async () => {
    const before = server.requests.length;
    await expect(strategicMergePatch(client, rollout("r"), { spec: {} })).rejects.toThrow(
      "strategic merge patch is not supported for rollouts.rollouts.slipway.dev (custom resources do not support it); use mergePatch or jsonPatch for r",
    );
    expect(server.requests.length).toBe(before);
  });

  it("server-side apply sends apply-patch+yaml (JSON body) with force when asked", async () => {
    await serverSideApply(
      client,
      rollout("ssa"),
      {
        apiVersion: "rollouts.slipway.dev/v1alpha1",
        kind: "Rollout",
        metadata: { name: "ssa" },
        spec: { a: 1 },
      },
      { fieldManager: "slipway-controller", force: true, dryRun: true },
    );
    expect(last()?.contentType).toBe("application/apply-patch+yaml");
    expect(last()?.query.get("fieldManager")).toBe("slipway-controller");
    expect(last()?.query.get("force")).toBe("true");
    expect(last()?.query.get("dryRun")).toBe("All");
  });
});

describe("status writes with optimistic concurrency", () => {
  const rolloutPath = "/apis/rollouts.slipway.dev/v1alpha1/namespaces/shop/rollouts/web";

  it("replaceStatus writes /status with the resourceVersion it was computed from", async () => {
    const read = server.seed(rolloutPath, {
      metadata: { name: "web" },
      spec: { x: 1 },
      status: { phase: "Healthy" },
    }) as Thing;
    const out = await replaceStatus<Thing>(client, rollout("web"), {
      ...read,
      status: { phase: "Progressing" },
    });
    expect(last()?.method).toBe("PUT");
    expect(last()?.path).toBe(`${rolloutPath}/status`);
    expect(out.status).toEqual({ phase: "Progressing" });
    // The same stale copy again: the object moved on, so the write must be refused.
    await expect(
      replaceStatus(client, rollout("web"), { ...read, status: { phase: "Aborted" } }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((server.get(rolloutPath) as Thing).status).toEqual({ phase: "Progressing" });
  });

  it("patchStatus is conditional on the given resourceVersion", async () => {
    const current = server.get(rolloutPath) as Thing;
    const rv = current.metadata?.resourceVersion ?? "";
    await patchStatus(client, rollout("web"), { message: "step 1" }, rv);
    expect(last()?.path).toBe(`${rolloutPath}/status`);
    expect(last()?.body).toEqual({ metadata: { resourceVersion: rv }, status: { message: "step 1" } });
    await expect(patchStatus(client, rollout("web"), { message: "again" }, rv)).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it("refuses a status write without a resourceVersion (no blind overwrites)", async () => {
    await expect(replaceStatus(client, rollout("web"), { metadata: { name: "web" } })).rejects.toThrow(
      "replaceStatus on rollouts shop/web: no metadata.resourceVersion; pass the version the status was computed from",
    );
    await expect(patchStatus(client, rollout("web"), {}, "")).rejects.toThrow(
      "patchStatus on rollouts shop/web",
    );
  });
});
