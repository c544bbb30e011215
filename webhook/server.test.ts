import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import {
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
} from "../src/api/names.ts";
import type { AdmissionReviewResponse } from "./admission-review.ts";
import type { HandlerDeps, TemplateReader, WorkloadReader } from "./handlers.ts";
import type { Rollout } from "../src/api/rollout.ts";
import { MemoryRolloutCache } from "./rollout-cache.ts";
import { createWebhookServer, type WebhookServer } from "./server.ts";
import { applyBase64Patch } from "./testing/apply-patch.ts";
import { deployment, edited, podTemplate, rollout, statefulSet } from "./testing/fixtures.ts";
import { admissionReview } from "./testing/reviews.ts";
import { validTemplate } from "../src/api/testdata/fixtures.ts";

type Obj = Record<string, unknown>;
const setImage = (o: Obj, image: string) =>
  edited(o, (c) => ((c["spec"] as Obj)["template"] = podTemplate(image)));

let cache: MemoryRolloutCache;
let server: WebhookServer;
let workloads: Map<string, unknown>;
/** Templates by `<namespace>/<name>` (ClusterAnalysisTemplates: `/<name>`). */
let templates: Map<string, unknown>;

function deps(): HandlerDeps {
  const reader: WorkloadReader = {
    read: async (namespace, _group, kind, name) => {
      const object = workloads.get(`${kind}/${namespace}/${name}`);
      return object === undefined ? { found: false } : { found: true, object };
    },
  };
  const templateReader: TemplateReader = {
    read: async (namespace, ref) => {
      const object = templates.get(`${ref.clusterScope === true ? "" : namespace}/${ref.name}`);
      return object === undefined ? { found: false } : { found: true, object };
    },
  };
  return {
    rollouts: cache,
    workloads: reader,
    templates: templateReader,
    now: () => new Date("2026-03-01T12:00:00Z"),
  };
}

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; review: AdmissionReviewResponse }> {
  const res = await server.app.inject({ method: "POST", url: path, payload: body as Obj });
  return { status: res.statusCode, review: res.json<AdmissionReviewResponse>() };
}

beforeEach(() => {
  cache = new MemoryRolloutCache();
  cache.upsert(rollout());
  cache.markSynced();
  workloads = new Map();
  templates = new Map();
  server = createWebhookServer({ deps: deps(), metrics: new Registry() });
});
afterEach(async () => server.app.close());

describe("/mutate-workload", () => {
  it("answers an image update with a patch that holds the release", async () => {
    const old = deployment("web:1");
    const next = setImage(old, "web:2");
    const { status, review } = await post(
      "/mutate-workload",
      admissionReview("Deployment", old, next, { uid: "abc" }),
    );
    expect(status).toBe(200);
    expect(review).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
    expect(review.response).toMatchObject({ uid: "abc", allowed: true, patchType: "JSONPatch" });
    const patched = applyBase64Patch(next, review.response.patch) as {
      spec: Obj;
      metadata: { annotations: Obj };
    };
    expect(patched.spec["paused"]).toBe(true);
    expect(patched.spec["template"]).toEqual(podTemplate("web:2"));
    expect(patched.metadata.annotations[ANNOTATION_ORIGINAL]).toBeDefined();
    expect(patched.metadata.annotations[ANNOTATION_RELEASE]).toBeDefined();
  });

  it("handles a Deployment carrying a 1 MiB annotation", async () => {
    const big = { "example.com/blob": "x".repeat(1024 * 1024) };
    const old = deployment("web:1", { annotations: big });
    const { status, review } = await post(
      "/mutate-workload",
      admissionReview("Deployment", old, setImage(old, "web:2")),
    );
    expect(status).toBe(200);
    expect(review.response.patch).toBeDefined();
  });

  it("passes a workload no live Rollout references, a deleting or disabled Rollout's, and scale requests", async () => {
    const old = deployment("web:1");
    const unreferenced = edited(old, (o) => ((o["metadata"] as Obj)["name"] = "other"));
    const plain = await post(
      "/mutate-workload",
      admissionReview("Deployment", unreferenced, setImage(unreferenced, "web:2")),
    );
    expect(plain.review.response).toEqual({ uid: plain.review.response.uid, allowed: true });
    for (const dead of [
      rollout({ deleting: true }),
      rollout({ disabled: true }),
      rollout({ phase: "Disabled" }),
    ]) {
      cache.upsert(dead);
      const { review } = await post(
        "/mutate-workload",
        admissionReview("Deployment", old, setImage(old, "web:2")),
      );
      expect(review.response.patch).toBeUndefined();
    }
    cache.upsert(rollout());
    const scale = await post(
      "/mutate-workload",
      admissionReview("Deployment", old, setImage(old, "web:2"), { subResource: "scale" }),
    );
    expect(scale.review.response.patch).toBeUndefined();
  });

  it("fails closed with a clear message until the Rollout cache has synced", async () => {
    cache = new MemoryRolloutCache();
    await server.app.close();
    server = createWebhookServer({ deps: deps() });
    const old = deployment("web:1");
    const { review } = await post(
      "/mutate-workload",
      admissionReview("Deployment", old, setImage(old, "web:2")),
    );
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.message).toContain("has not loaded the Rollouts yet");
    expect((await server.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(503);
  });
});

describe("/mutate-rollout and /validate-rollout", () => {
  const atStep = (step: number, annotations?: Record<string, string>) =>
    rollout({
      phase: "Paused",
      step,
      stepState: "Paused",
      canaryRevision: "7c9d8b6f5",
      ...(annotations ? { annotations } : {}),
    });

  it("stamps approved-by with the requesting user, and refuses a forged approver", async () => {
    const live = atStep(1);
    const approved = atStep(1, { [ANNOTATION_APPROVE]: "1" });
    const { review } = await post(
      "/mutate-rollout",
      admissionReview("Rollout", live, approved, { username: "bob" }),
    );
    const stamped = applyBase64Patch(approved, review.response.patch) as { metadata: { annotations: Obj } };
    expect(stamped.metadata.annotations[ANNOTATION_APPROVED_BY]).toBe("bob");

    const forged = atStep(1, { [ANNOTATION_APPROVE]: "1", [ANNOTATION_APPROVED_BY]: "alice" });
    const liveStamped = atStep(1, { [ANNOTATION_APPROVE]: "1", [ANNOTATION_APPROVED_BY]: "bob" });
    const second = await post(
      "/mutate-rollout",
      admissionReview("Rollout", liveStamped, forged, { username: "mallory" }),
    );
    const kept = applyBase64Patch(forged, second.review.response.patch) as { metadata: { annotations: Obj } };
    expect(kept.metadata.annotations[ANNOTATION_APPROVED_BY]).toBe("bob");
  });

  it("stamps an approval on a Rollout created with generateName (no name yet when mutating)", async () => {
    const metadata = { namespace: "shop", generateName: "web-", annotations: { [ANNOTATION_APPROVE]: "1" } };
    const unnamed = { ...rollout(), metadata };
    const { review } = await post(
      "/mutate-rollout",
      admissionReview("Rollout", undefined, unnamed, { operation: "CREATE", username: "carol" }),
    );
    const stamped = applyBase64Patch(unnamed, review.response.patch) as { metadata: { annotations: Obj } };
    expect(stamped.metadata.annotations[ANNOTATION_APPROVED_BY]).toBe("carol");
  });

  it("refuses a stale approval and a retry of a healthy rollout in SPEC wording", async () => {
    cache.upsert(atStep(1));
    const stale = await post(
      "/validate-rollout",
      admissionReview("Rollout", atStep(1), atStep(1, { [ANNOTATION_APPROVE]: "2" })),
    );
    expect(stale.review.response).toMatchObject({
      allowed: false,
      status: { code: 403, message: "rollout shop/web is at step 1, not step 2" },
    });
    const healthy = rollout();
    const retry = await post(
      "/validate-rollout",
      admissionReview("Rollout", healthy, {
        ...healthy,
        metadata: { ...healthy.metadata, annotations: { "rollouts.slipway.dev/retry": "now" } },
      }),
    );
    expect(retry.review.response.status?.message).toBe("nothing to retry: rollout shop/web is Healthy");
    const ok = await post(
      "/validate-rollout",
      admissionReview("Rollout", atStep(1), atStep(1, { [ANNOTATION_APPROVE]: "1@7c9d8b6f5" })),
    );
    expect(ok.review.response.allowed).toBe(true);
  });

  it("refuses a second Rollout for a workload and a Rollout of an OnDelete StatefulSet", async () => {
    const second = rollout({ name: "web-2" });
    const dup = await post(
      "/validate-rollout",
      admissionReview("Rollout", undefined, second, { operation: "CREATE" }),
    );
    expect(dup.review.response.status?.message).toContain(
      "Deployment shop/web is already managed by rollout shop/web",
    );
    workloads.set("StatefulSet/shop/db", statefulSet("db:1", { type: "OnDelete" }));
    const sts = rollout({ name: "db", kind: "StatefulSet", workload: "db" });
    const onDelete = await post(
      "/validate-rollout",
      admissionReview("Rollout", undefined, sts, { operation: "CREATE" }),
    );
    expect(onDelete.review.response.status?.message).toContain("uses updateStrategy OnDelete");
  });

  it("freezes the number of steps while a release is in progress", async () => {
    const live = rollout({ phase: "Progressing", step: 1 });
    const fewer = edited(live, (r) => r.spec.strategy.canary.steps.pop());
    const { review } = await post("/validate-rollout", admissionReview("Rollout", live, fewer));
    expect(review.response.status?.message).toContain(
      "the number of steps (3 → 2) cannot change while rollout shop/web is releasing",
    );
    expect(review.response.status?.message).toContain(
      "`kubectl slipway abort web -n shop` then `kubectl slipway undo web -n shop`",
    );
    const healthy = rollout();
    const allowed = await post(
      "/validate-rollout",
      admissionReview(
        "Rollout",
        healthy,
        edited(healthy, (r) => r.spec.strategy.canary.steps.pop()),
      ),
    );
    expect(allowed.review.response.allowed).toBe(true);
  });
  it("tells how to end an aborted release that freezes the steps (abort would not help: it is aborted)", async () => {
    const live = rollout({ phase: "Aborted", step: 1 });
    const fewer = edited(live, (r) => r.spec.strategy.canary.steps.pop());
    const { review } = await post("/validate-rollout", admissionReview("Rollout", live, fewer));
    const message = review.response.status?.message ?? "";
    expect(message).toContain(
      "(phase Aborted); the release is aborted: end it with `kubectl slipway undo web -n shop`",
    );
    expect(message).toContain("`kubectl slipway retry web -n shop`");
    expect(message).not.toContain("abort it");
  });
});

describe("Rollout admission: template arguments", () => {
  const withAnalysis = (args: { name: string; value: string }[], clusterScope = false) =>
    rollout({
      name: "api",
      workload: "api",
      steps: [
        { replicas: 1, analysis: { templates: [{ name: "success-rate", clusterScope }], args } },
        { replicas: "100%" },
      ],
    });
  const create = async (r: Rollout) =>
    (await post("/validate-rollout", admissionReview("Rollout", undefined, r, { operation: "CREATE" })))
      .review.response;

  it("refuses a required argument of an existing template that the Rollout does not pass", async () => {
    templates.set("shop/success-rate", validTemplate()); // args: service (required), threshold (default)
    const refused = await create(withAnalysis([]));
    expect(refused).toMatchObject({
      allowed: false,
      status: {
        message:
          'spec.strategy.canary.steps[0].analysis.args: AnalysisTemplate success-rate needs argument "service", which has no default: add {name: service, value: ...} to spec.strategy.canary.steps[0].analysis.args, or a value to the template\'s spec.args',
      },
    });
    expect((await create(withAnalysis([{ name: "service", value: "api" }]))).allowed).toBe(true);
  });

  it("reads a ClusterAnalysisTemplate for clusterScope, and does not judge a template that does not exist yet", async () => {
    expect((await create(withAnalysis([], true))).allowed).toBe(true);
    templates.set("/success-rate", validTemplate("ClusterAnalysisTemplate"));
    expect((await create(withAnalysis([], true))).status?.message).toContain(
      'ClusterAnalysisTemplate success-rate needs argument "service"',
    );
  });

  it("admits an update that leaves the analysis unchanged (the controller's own updates are never refused for a template edited later)", async () => {
    const live = withAnalysis([]);
    templates.set("shop/success-rate", validTemplate());
    const annotated = edited(live, (r) => (r.metadata.annotations = { team: "a" }));
    const { review } = await post("/validate-rollout", admissionReview("Rollout", live, annotated));
    expect(review.response.allowed).toBe(true);
  });
});

describe("AnalysisTemplate admission through /validate-rollout", () => {
  it("refuses a condition that does not compile as CEL, naming the field", async () => {
    const good = validTemplate();
    const accepted = await post(
      "/validate-rollout",
      admissionReview("AnalysisTemplate", undefined, good, { operation: "CREATE" }),
    );
    expect(accepted.review.response.allowed).toBe(true);
    const bad = edited(good, (t) => (t.spec["metrics"][0].successCondition = "result[0] >="));
    const { review } = await post(
      "/validate-rollout",
      admissionReview("AnalysisTemplate", undefined, bad, { operation: "CREATE" }),
    );
    expect(review.response.allowed).toBe(false);
    expect(review.response.status?.message).toMatch(
      /^AnalysisTemplate: spec\.metrics\[0\]\.successCondition: does not compile/,
    );
  });
});

describe("deadlines", () => {
  it("answers with a refusal naming the timeout when a handler does not finish in time", async () => {
    await server.app.close();
    const hanging: WorkloadReader = { read: () => new Promise(() => undefined) };
    server = createWebhookServer({ deps: { ...deps(), workloads: hanging }, handlerTimeoutMs: 200 });
    const started = Date.now();
    const { status, review } = await post(
      "/validate-rollout",
      admissionReview("Rollout", undefined, rollout({ name: "new", workload: "new" }), {
        operation: "CREATE",
      }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(status).toBe(200);
    expect(review.response).toMatchObject({
      allowed: false,
      status: { code: 504, message: "the Slipway webhook timed out on /validate-rollout; retry" },
    });
  });
});

describe("malformed requests", () => {
  it("answers bad JSON and a review without a uid with HTTP 400", async () => {
    const bad = await server.app.inject({
      method: "POST",
      url: "/mutate-workload",
      payload: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(bad.statusCode).toBe(400);
    const noUid = await server.app.inject({
      method: "POST",
      url: "/validate-rollout",
      payload: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
    });
    expect(noUid.statusCode).toBe(400);
  });

  it("answers a body that is not sent as JSON with HTTP 415, naming the content type to use", async () => {
    const plain = await server.app.inject({
      method: "POST",
      url: "/mutate-workload",
      payload: JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
      headers: { "content-type": "text/plain" },
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.json()).toEqual({
      message: "an AdmissionReview must be sent with content-type: application/json",
    });
    const charset = await server.app.inject({
      method: "POST",
      url: "/validate-rollout",
      payload: "{}",
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(charset.statusCode).toBe(400);
  });

  it("answers a review that names a uid but lacks fields with a refusing AdmissionReview", async () => {
    const { status, review } = await post("/mutate-workload", {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { uid: "u" },
    });
    expect(status).toBe(200);
    expect(review.response).toMatchObject({ uid: "u", allowed: false, status: { code: 400 } });
  });

  it("refuses a body over the limit with 413", async () => {
    const huge = "x".repeat(9 * 1024 * 1024);
    const res = await server.app.inject({
      method: "POST",
      url: "/mutate-workload",
      payload: JSON.stringify({ huge }),
      headers: { "content-type": "application/json" },
    });
    expect(res.statusCode).toBe(413);
  });
});
