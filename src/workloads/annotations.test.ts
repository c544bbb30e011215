import { describe, expect, it } from "vitest";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../api/names.ts";
import {
  parseDeploymentOriginal,
  parseRelease,
  parseStatefulSetOriginal,
  removeReleaseAnnotations,
} from "./annotations.ts";
import { deployment, statefulSet } from "./testing/fixtures.ts";

describe("the original annotation", () => {
  it("parses what the webhook saves", () => {
    const d = deployment({
      original: {
        paused: false,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "10%" } },
        progressDeadlineSeconds: 600,
      },
    });
    expect(parseDeploymentOriginal(d)).toEqual({
      ok: true,
      value: {
        paused: false,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "10%" } },
        progressDeadlineSeconds: 600,
      },
    });
  });

  it("is undefined when absent", () => {
    expect(parseDeploymentOriginal(deployment())).toEqual({ ok: true, value: undefined });
  });

  it("reports malformed JSON with the object, the key and the fix", () => {
    const d = deployment();
    d.metadata!.annotations![ANNOTATION_ORIGINAL] = "{nope";
    const parsed = parseDeploymentOriginal(d);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem).toContain(
        `annotation ${ANNOTATION_ORIGINAL} on Deployment shop/web is not valid JSON`,
      );
      expect(parsed.problem).toContain("restore it or remove it");
    }
  });

  it("reports a wrongly typed field by its path", () => {
    const d = deployment({ original: { strategy: { type: "Sideways" } } });
    const parsed = parseDeploymentOriginal(d);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain("strategy.type");
  });

  it("accepts a StatefulSet's updateStrategy or a bare partition", () => {
    expect(parseStatefulSetOriginal(statefulSet({ original: { partition: 2 } }))).toEqual({
      ok: true,
      value: { partition: 2 },
    });
    const full = { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } };
    expect(parseStatefulSetOriginal(statefulSet({ original: full }))).toEqual({ ok: true, value: full });
  });
});

describe("the release annotation", () => {
  it("yields the stable revision, and treats garbage as absent", () => {
    expect(parseRelease(deployment({ stableRevision: "abc" }))?.stableRevision).toBe("abc");
    const d = deployment();
    d.metadata!.annotations![ANNOTATION_RELEASE] = "garbage";
    expect(parseRelease(d)).toBeUndefined();
  });

  it("removal patches only the keys present", () => {
    expect(removeReleaseAnnotations(deployment({ stableRevision: "abc" }))).toEqual({
      [ANNOTATION_RELEASE]: null,
    });
    expect(removeReleaseAnnotations(deployment())).toEqual({});
  });
});
