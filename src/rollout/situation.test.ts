import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import { terminate } from "../workflow/index.ts";
import { definitionFor, newRecord } from "./run-control.ts";
import { decideSituation, holdsRelease, unheldUpdate } from "./situation.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const spec = withDefaults(testRollout().spec);
const release = (key: string) =>
  newRecord(
    { kind: "release", key, stableRevision: "v1", canaryRevision: key },
    definitionFor("release", spec),
    0,
    undefined,
  );

function world(template: string, stable = "v1") {
  const w = new FakeWorld(testRollout(), 10, stable);
  w.workload.labelled = true;
  w.setTemplate(template);
  return w;
}

describe("which release the workload asks for", () => {
  it("starts a release for a held template and continues it while the template stays", () => {
    const w = world("v2");
    expect(decideSituation(w.port(), undefined, false)).toMatchObject({
      kind: "start",
      wanted: { kind: "release", key: "template-v2" },
    });
    expect(decideSituation(w.port(), release("template-v2"), true)).toEqual({ kind: "continue" });
  });

  it("supersedes through the abort path mid-release, and without it while finishing", () => {
    const w = world("v3");
    expect(decideSituation(w.port(), release("template-v2"), true)).toMatchObject({
      kind: "end",
      outcome: "Superseded",
      force: false,
    });
    expect(decideSituation(w.port(), release("template-v2"), false)).toMatchObject({
      kind: "end",
      outcome: "Superseded",
      force: true,
    });
  });

  it("ends a release whose template went back to stable and starts a rollback run after it", () => {
    const w = world("v2");
    w.setTemplate("v1");
    expect(decideSituation(w.port(), release("template-v2"), true)).toMatchObject({
      kind: "end",
      outcome: "RolledBack",
      force: true,
    });
    const ended = {
      ...release("template-v2"),
      run: { ...terminate(release("template-v2").run, "x"), phase: "Terminated" as const },
    };
    expect(decideSituation(w.port(), ended, false)).toMatchObject({
      kind: "start",
      wanted: { kind: "rollback" },
      rolledBackRevision: "template-v2",
    });
  });

  it("stays idle after an aborted release until retry or a new template, and waits for an unobserved workload", () => {
    const w = world("v2");
    const aborted = {
      ...release("template-v2"),
      run: { ...release("template-v2").run, phase: "Terminated" as const },
    };
    expect(decideSituation(w.port(), aborted, false)).toEqual({ kind: "idle" });
    const port = w.port();
    expect(
      decideSituation({ ...port, snapshot: { ...port.snapshot, observed: false } }, aborted, false).kind,
    ).toBe("wait");
  });

  it("never starts a release for a template the webhook did not hold (changed before the Rollout existed)", () => {
    const w = world("v2");
    const port = w.port();
    const unheld = { ...port, releaseKey: undefined };
    expect(unheldUpdate(unheld)).toBe(true);
    expect(decideSituation(unheld, undefined, false)).toEqual({ kind: "idle" });
    // Nor after an earlier release: the record of that one does not make this change a release.
    const succeeded = {
      ...release("template-v1"),
      run: { ...release("template-v1").run, phase: "Succeeded" as const },
    };
    expect(decideSituation(unheld, succeeded, false)).toEqual({ kind: "idle" });
    expect(holdsRelease(unheld, release("template-v2"))).toBe(false);
    // The same template once held by the webhook is a release.
    expect(unheldUpdate(port)).toBe(false);
    expect(decideSituation(port, undefined, false).kind).toBe("start");
  });

  it("aborts a running release whose hold was removed, without treating the unheld template as a release", () => {
    const w = world("v2");
    const unheld = { ...w.port(), releaseKey: undefined };
    expect(decideSituation(unheld, release("template-v2"), true)).toMatchObject({
      kind: "end",
      outcome: "Aborted",
    });
  });
});
