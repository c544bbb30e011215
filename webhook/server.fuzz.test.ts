// Garbage sent to the webhook (SPEC §8): malformed JSON, wrong kinds, missing fields, huge bodies. Every
// answer must be a well-formed AdmissionReview or an HTTP 4xx, within the handler timeout; never a crash.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdmissionReviewResponse } from "./admission-review.ts";
import { MemoryRolloutCache } from "./rollout-cache.ts";
import { createWebhookServer, type WebhookServer } from "./server.ts";
import { cloneSet, deployment, edited, podTemplate, rollout, statefulSet } from "./testing/fixtures.ts";
import { admissionReview } from "./testing/reviews.ts";

type Obj = Record<string, unknown>;
const PATHS = ["/mutate-workload", "/validate-rollout", "/mutate-rollout"] as const;

let server: WebhookServer;
beforeAll(() => {
  const cache = new MemoryRolloutCache();
  cache.upsert(rollout());
  cache.upsert(rollout({ name: "db", kind: "StatefulSet", workload: "db", phase: "Progressing", step: 1 }));
  cache.upsert(
    rollout({ name: "api", kind: "CloneSet", apiVersion: "apps.kruise.io/v1alpha1", workload: "api" }),
  );
  cache.markSynced();
  server = createWebhookServer({
    deps: {
      rollouts: cache,
      workloads: { read: async () => ({ found: false }) },
      templates: { read: async () => ({ found: false }) },
      now: () => new Date(),
    },
  });
});
afterAll(async () => server.app.close());

async function send(path: string, payload: string, contentType = "application/json") {
  const answer = server.app.inject({
    method: "POST",
    url: path,
    payload,
    headers: { "content-type": contentType },
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no answer from ${path}`)), 5000),
  );
  return Promise.race([answer, timeout]);
}

/** The property every answer must have. */
function expectWellFormed(res: { statusCode: number; body: string }, uid?: string): void {
  if (res.statusCode >= 400 && res.statusCode < 500) return;
  expect(res.statusCode).toBe(200);
  const review = JSON.parse(res.body) as AdmissionReviewResponse;
  expect(review.apiVersion).toBe("admission.k8s.io/v1");
  expect(review.kind).toBe("AdmissionReview");
  expect(typeof review.response.allowed).toBe("boolean");
  expect(typeof review.response.uid).toBe("string");
  if (uid !== undefined) expect(review.response.uid).toBe(uid);
  // A 500 inside the review would mean a handler threw on input it should have classified.
  expect(review.response.status?.code ?? 200).toBeLessThan(500);
  if (review.response.patch !== undefined) {
    expect(Array.isArray(JSON.parse(Buffer.from(review.response.patch, "base64").toString()))).toBe(true);
  }
}

const valid = (): Obj[] => {
  const d = deployment("web:1");
  const s = statefulSet("db:1");
  const c = cloneSet("api:1");
  const setImage = (o: Obj) => edited(o, (x) => ((x["spec"] as Obj)["template"] = podTemplate("new:2")));
  const r = rollout({ phase: "Paused", step: 1 });
  return [
    admissionReview("Deployment", d, setImage(d)),
    admissionReview("StatefulSet", s, setImage(s)),
    admissionReview("CloneSet", c, setImage(c)),
    admissionReview(
      "Rollout",
      r,
      edited(r, (x) => (x.metadata.annotations = { "rollouts.slipway.dev/approve": "1" })),
    ),
    admissionReview("Rollout", undefined, r, { operation: "CREATE" }),
  ];
};

/** A random edit at a random depth: delete a member, or replace it with random JSON. */
function mutate(document: unknown, path: readonly number[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(document);
  let node: unknown = copy;
  for (let depth = 0; depth < path.length; depth++) {
    if (typeof node !== "object" || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[(path[depth] ?? 0) % keys.length] as string;
    const child = (node as Obj)[key];
    const last = depth === path.length - 1 || typeof child !== "object" || child === null;
    if (last) {
      if (remove) delete (node as Obj)[key];
      else (node as Obj)[key] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

describe("fuzzing the admission endpoints", () => {
  it("answers random JSON documents", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.jsonValue(), async (path, body) => {
        expectWellFormed(await send(path, JSON.stringify(body)));
      }),
      { numRuns: 300 },
    );
  });

  it("answers malformed JSON and odd content types", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.string({ maxLength: 200 }),
        fc.constantFrom(
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/yaml",
        ),
        async (path, body, contentType) => {
          const res = await send(path, body, contentType);
          expectWellFormed(res);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("answers valid reviews with random members removed or replaced, of any kind", async () => {
    const reviews = valid();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.nat({ max: reviews.length - 1 }),
        fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 7 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.boolean(),
        async (path, which, at, replacement, remove) => {
          const body = mutate(reviews[which], at, replacement, remove) as { request?: { uid?: unknown } };
          const uid =
            typeof body.request?.uid === "string" && body.request.uid !== "" ? body.request.uid : undefined;
          expectWellFormed(await send(path, JSON.stringify(body)), uid);
        },
      ),
      { numRuns: 600 },
    );
  });

  it("answers huge and deeply nested bodies", async () => {
    const d = deployment("web:1");
    // Built as text: JSON.stringify itself overflows the stack on objects this deep.
    const deep = (depth: number) => '{"n":'.repeat(depth) + '"leaf"' + "}".repeat(depth);
    const withDeepTemplate = (depth: number, side: "object" | "oldObject") => {
      const text = JSON.stringify(admissionReview("Deployment", d, d));
      const marker = '"template":';
      const at = side === "object" ? text.indexOf(marker) : text.lastIndexOf(marker);
      return `${text.slice(0, at)}"template":{"spec":${deep(depth)}},"replaced":${text.slice(at + marker.length)}`;
    };
    const bodies = [
      JSON.stringify({ pad: "x".repeat(9 * 1024 * 1024) }),
      JSON.stringify(admissionReview("Deployment", d, { ...d, pad: "y".repeat(7 * 1024 * 1024) })),
      "[".repeat(100_000) + "]".repeat(100_000),
      withDeepTemplate(5_000, "object"),
      withDeepTemplate(5_000, "oldObject"),
      withDeepTemplate(50_000, "object"),
    ];
    for (const path of PATHS) for (const body of bodies) expectWellFormed(await send(path, body));
  });
});
