import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffJson, escapePointerSegment, unescapePointerSegment, type JsonValue } from "./json-patch.ts";
import { applyPatch } from "./testing/apply-patch.ts";

describe("RFC 6901 escaping", () => {
  it("escapes ~ before / so that keys holding both round-trip", () => {
    expect(escapePointerSegment("rollouts.slipway.dev/original")).toBe("rollouts.slipway.dev~1original");
    expect(escapePointerSegment("a~/b")).toBe("a~0~1b");
    expect(escapePointerSegment("~1")).toBe("~01");
    expect(unescapePointerSegment("~01")).toBe("~1");
    fc.assert(fc.property(fc.string(), (s) => unescapePointerSegment(escapePointerSegment(s)) === s));
  });
});

describe("diffJson", () => {
  it("emits nothing for equal documents", () => {
    expect(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });

  it("adds an annotation under an existing map with an escaped key", () => {
    const before = { metadata: { annotations: { x: "1" } } };
    const after = { metadata: { annotations: { x: "1", "rollouts.slipway.dev/release": "{}" } } };
    expect(diffJson(before, after)).toEqual([
      { op: "add", path: "/metadata/annotations/rollouts.slipway.dev~1release", value: "{}" },
    ]);
  });

  it("adds a missing parent map whole instead of adding under it", () => {
    const before = { metadata: { name: "web" } };
    const after = { metadata: { name: "web", annotations: { "a/b": "c" } } };
    expect(diffJson(before, after)).toEqual([
      { op: "add", path: "/metadata/annotations", value: { "a/b": "c" } },
    ]);
  });

  it("replaces changed scalars, removes dropped keys and replaces arrays whole", () => {
    const before = { spec: { paused: false, list: [1, 2, 3], gone: "x" } };
    const after = { spec: { paused: true, list: [1, 3] } };
    expect(diffJson(before, after)).toEqual([
      { op: "remove", path: "/spec/gone" },
      { op: "replace", path: "/spec/paused", value: true },
      { op: "replace", path: "/spec/list", value: [1, 3] },
    ]);
  });

  it("treats undefined members as absent", () => {
    expect(diffJson({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
    expect(diffJson({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
    expect(diffJson({ a: 1, b: 2 }, { a: 1, b: undefined })).toEqual([{ op: "remove", path: "/b" }]);
  });

  it("turns any document into any other when applied (property)", () => {
    const key = fc.oneof(
      fc.constantFrom("a", "b", "a/b", "~", "~1", "x~y/z", ""),
      fc.string({ maxLength: 4 }),
    );
    const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
      json: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constantFrom<JsonValue>(null, true, false, 0, 1.5, "", "s"),
        fc.array(tie("json"), { maxLength: 3 }),
        fc.dictionary(key, tie("json"), { maxKeys: 4 }),
      ),
    }));
    const objectDoc = fc.dictionary(key, json, { maxKeys: 5 });
    fc.assert(
      fc.property(fc.oneof(objectDoc, json), fc.oneof(objectDoc, json), (before, after) => {
        expect(applyPatch(before, diffJson(before, after))).toEqual(after);
      }),
      { numRuns: 500 },
    );
  });

  it("turns a document into a mutated copy of itself (property)", () => {
    const doc = fc.dictionary(
      fc.string({ maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue()),
    );
    fc.assert(
      fc.property(
        doc,
        fc.string({ maxLength: 3 }),
        fc.string({ maxLength: 3 }),
        fc.jsonValue(),
        (d, k1, k2, v) => {
          const mutated = structuredClone(d) as Record<string, Record<string, unknown>>;
          mutated[k1] = { ...(mutated[k1] ?? {}), [k2]: v };
          // -0 has no JSON form: compare what would go over the wire.
          const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
          expect(wire(applyPatch(d, diffJson(d, mutated)))).toEqual(wire(mutated));
        },
      ),
      { numRuns: 300 },
    );
  });
});
