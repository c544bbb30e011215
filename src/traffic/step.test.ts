import { describe, expect, it } from "vitest";
import {
  createRegistry,
  startRun,
  tick,
  validateDefinition,
  type WorkflowDefinition,
  type WorkflowState,
} from "../workflow/index.ts";
import { trafficRestoreStepType, trafficStepType, type TrafficStepEnv } from "./step.ts";
import { FakeTrafficIO } from "./testing/fake-io.ts";
import { nginxTarget, service, typicalIngress } from "./testing/fixtures.ts";
import type { JsonObject } from "./types.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const GRACE_MS = 3_000;

function setup(options: { ingress?: boolean } = {}) {
  const io = new FakeTrafficIO();
  io.put(service());
  if (options.ingress !== false) io.put(typicalIngress());
  const env: TrafficStepEnv = { io, target: nginxTarget({ grace: GRACE_MS / 1000 }) };
  const registry = createRegistry({
    traffic: trafficStepType(env),
    "traffic-restore": trafficRestoreStepType(env),
  });
  return { io, registry };
}

const definition = (steps: WorkflowDefinition["steps"]): WorkflowDefinition => ({
  steps,
  pollInterval: "30s",
});
const shift = (weight: number, matches: JsonObject[] = []): WorkflowDefinition["steps"][number] => ({
  name: `traffic-${weight}`,
  type: "traffic",
  properties: { step: 1, weight, matches },
});

describe("the traffic step type", () => {
  it("records its intent, writes one stage per invocation, waits the grace period after each, then succeeds", async () => {
    const { io, registry } = setup();
    const def = definition([shift(5)]);
    let state: WorkflowState = startRun(def, "r1", T0);
    const at = async (ms: number) => {
      const r = await tick(def, state, T0 + ms, registry);
      state = r.state;
      return r;
    };
    const r1 = await at(0);
    expect(io.writes).toEqual([]); // intent persisted first
    expect(state.steps["traffic-5"]?.memory).toEqual({ pendingAt: T0 });
    expect(r1.nextWakeAt).toBe(T0 + 1);
    await at(10);
    expect(io.writes.map((w) => `${w.type} ${w.ref.kind}`)).toEqual(["create Service", "patch Service"]);
    expect(state.steps["traffic-5"]?.nextRunAt).toBe(T0 + 10 + GRACE_MS);
    await at(1_000); // within the grace period: not invoked
    expect(io.writes).toHaveLength(2);
    await at(10 + GRACE_MS); // announces the Ingress
    expect(io.writes).toHaveLength(2);
    await at(20 + GRACE_MS);
    expect(io.writes.map((w) => `${w.type} ${w.ref.kind}`).at(-1)).toBe("create Ingress");
    expect(state.steps["traffic-5"]?.message).toMatch(
      /create Ingress shop\/web-canary: weight 5%; grace period until/,
    );
    await at(20 + 2 * GRACE_MS - 1);
    expect(state.steps["traffic-5"]?.phase).toBe("Running");
    await at(20 + 2 * GRACE_MS);
    expect(state.steps["traffic-5"]).toMatchObject({
      phase: "Succeeded",
      outputs: { weight: 5, matches: 0 },
    });
    expect(state.phase).toBe("Succeeded");
  });

  it("a step with nothing to change succeeds at once, without a grace period", async () => {
    const { io, registry } = setup();
    const def = definition([shift(5), { ...shift(5), name: "again" }]);
    let state = startRun(def, "r1", T0);
    for (let t = 0; t < 10; t++) state = (await tick(def, state, T0 + t * GRACE_MS, registry)).state;
    const writes = io.writes.length;
    expect(state.steps["again"]).toMatchObject({
      phase: "Succeeded",
      firstStartedAt: state.steps["again"]?.finishedAt,
    });
    expect(io.writes).toHaveLength(writes);
  });

  it("after a crash between a write and saving the state, waits a full grace period from the restart", async () => {
    const { io, registry } = setup();
    const def = definition([shift(5)]);
    let state = startRun(def, "r1", T0);
    state = (await tick(def, state, T0, registry)).state; // Services announced
    state = (await tick(def, state, T0 + 10, registry)).state; // Services written
    state = (await tick(def, state, T0 + 10 + GRACE_MS, registry)).state; // Ingress announced
    const lost = await tick(def, state, T0 + 20 + GRACE_MS, registry); // Ingress written...
    expect(io.writes.at(-1)?.ref.kind).toBe("Ingress");
    void lost; // ...but the controller died before this state was persisted: resume from `state`.
    const writes = io.writes.length;
    const restarted = await tick(def, state, T0 + 20_000, registry);
    expect(io.writes).toHaveLength(writes); // nothing left to write, nothing duplicated
    expect(restarted.state.steps["traffic-5"]?.phase).toBe("Running");
    expect(restarted.state.steps["traffic-5"]?.nextRunAt).toBe(T0 + 20_000 + GRACE_MS);
    const done = await tick(def, restarted.state, T0 + 20_000 + GRACE_MS, registry);
    expect(done.state.steps["traffic-5"]?.phase).toBe("Succeeded");
    expect([...io.objects.keys()].filter((k) => k.endsWith("web-canary"))).toHaveLength(2);
  });

  it("waits with the problem in its message while the Ingress is missing, writing nothing", async () => {
    const { io, registry } = setup({ ingress: false });
    const def = definition([shift(5)]);
    const r = await tick(def, startRun(def, "r1", T0), T0, registry);
    expect(r.state.steps["traffic-5"]).toMatchObject({
      phase: "Running",
      message: expect.stringMatching(
        /^step 1 traffic: Ingress shop\/web \(trafficRouting.nginx.ingress\) not found/,
      ),
    });
    expect(io.writes).toEqual([]);
  });

  it("validates its properties", () => {
    const { registry } = setup();
    const problems = validateDefinition(
      definition([
        { name: "a", type: "traffic", properties: { weight: 120 } },
        { name: "b", type: "traffic", properties: { weight: 5, matches: [{ headers: [] }] } },
        { name: "c", type: "traffic-restore", properties: {} },
        { name: "d", type: "traffic", properties: { weight: 5, matches: [], pin: "no" } },
      ]),
      registry,
    );
    expect(problems.join("\n")).toMatch(/weight must be an integer from 0 to 100/);
    expect(problems.join("\n")).toMatch(/matches must be a list/);
    expect(problems.join("\n")).toMatch(/mode must be "stable"/);
    expect(problems.join("\n")).toMatch(/pin must be a boolean/);
  });
});

describe("the traffic-restore step type", () => {
  it("abort routes to stable first; finish removes everything, each change followed by a grace period", async () => {
    const { io, registry } = setup();
    const def = definition([
      shift(50, [{ headers: [{ name: "x-canary", value: "true" }] }]),
      { name: "abort-traffic", type: "traffic-restore", properties: { mode: "stable" } },
      { name: "finish-traffic", type: "traffic-restore", properties: { mode: "remove" } },
    ]);
    let state = startRun(def, "r1", T0);
    let now = T0;
    for (let i = 0; i < 30 && state.phase === "Running"; i++) {
      const r = await tick(def, state, now, registry);
      state = r.state;
      now = Math.max(now + 1, r.nextWakeAt ?? now + 1);
    }
    expect(state.phase).toBe("Succeeded");
    expect(io.writes.map((w) => `${w.type} ${w.ref.kind} ${w.ref.name}`)).toEqual([
      "create Service web-canary",
      "patch Service web",
      "create Ingress web-canary",
      "patch Ingress web-canary", // abort: weight 0, header match removed
      "patch Service web", // finish: un-pin
      "delete Ingress web-canary",
      "delete Service web-canary",
    ]);
    const finish = state.steps["finish-traffic"];
    // three changes, three grace periods
    expect((finish?.finishedAt ?? 0) - (finish?.firstStartedAt ?? 0)).toBeGreaterThanOrEqual(3 * GRACE_MS);
  });
});
