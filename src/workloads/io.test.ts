import { describe, expect, it } from "vitest";
import { applyWrites, labelSelectorString, type WorkloadIO, type WriteResult } from "./io.ts";
import type { ObjectRef, Write } from "./types.ts";

const ref = (name: string): ObjectRef => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  namespace: "shop",
  name,
});

/** Records calls; answers from a script keyed by object name. */
function fakeIO(answers: Record<string, WriteResult> = {}) {
  const calls: string[] = [];
  const answer = (name: string): WriteResult => answers[name] ?? { ok: true };
  const io: WorkloadIO = {
    get: async () => undefined,
    list: async () => [],
    patch: async (target, patch, resourceVersion) => {
      calls.push(`patch ${target.name}@${resourceVersion} ${JSON.stringify(patch)}`);
      return answer(target.name);
    },
    create: async (target) => {
      calls.push(`create ${target.name}`);
      return answer(target.name);
    },
    delete: async (target, preconditions) => {
      calls.push(`delete ${target.name} ${preconditions.uid}@${preconditions.resourceVersion}`);
      return answer(target.name);
    },
  };
  return { io, calls };
}

const writes: Write[] = [
  { type: "create", target: ref("a"), object: {}, reason: "r" },
  { type: "patch", target: ref("b"), patch: { spec: { replicas: 2 } }, resourceVersion: "7", reason: "r" },
  { type: "delete", target: ref("c"), uid: "u", resourceVersion: "9", reason: "r" },
];

describe("applyWrites", () => {
  it("applies in order with each write's precondition", async () => {
    const { io, calls } = fakeIO();
    expect(await applyWrites(io, writes)).toEqual({ applied: 3 });
    expect(calls).toEqual(["create a", 'patch b@7 {"spec":{"replicas":2}}', "delete c u@9"]);
  });

  it("stops at the first write that lost a race, so the caller re-reads and re-plans", async () => {
    const conflict: WriteResult = { ok: false, reason: "conflict", message: "the object has been modified" };
    const { io, calls } = fakeIO({ b: conflict });
    expect(await applyWrites(io, writes)).toEqual({
      applied: 1,
      stale: { write: writes[1], result: conflict },
    });
    expect(calls).toHaveLength(2);
  });

  it("counts deleting something already gone as done", async () => {
    const { io } = fakeIO({ c: { ok: false, reason: "not-found", message: "gone" } });
    expect(await applyWrites(io, writes)).toEqual({ applied: 3 });
  });
});

describe("labelSelectorString", () => {
  it("renders labels and every expression operator", () => {
    expect(
      labelSelectorString({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "env", operator: "NotIn", values: ["dev"] },
          { key: "team", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=web,tier in (a,b),env notin (dev),team,!legacy");
  });

  it("rejects an operator Kubernetes does not define", () => {
    expect(() => labelSelectorString({ matchExpressions: [{ key: "k", operator: "Near" }] })).toThrow(
      /"Near"/,
    );
  });
});
