import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { listDirectory, type CliIo } from "./io.ts";
import { main } from "./main.ts";

const root = join(import.meta.dirname, "..", "..");
const testdata = join(import.meta.dirname, "testdata");
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml"));

async function run(args: readonly string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: (p) => Promise.resolve(readFileSync(resolve(root, p), "utf8")),
    readStdin: () => Promise.resolve(stdin),
    listDirectory: (p) => listDirectory(resolve(root, p)),
  };
  const code = await main(["node", "slipway", ...args], io);
  return { code, out, err };
}

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it (review the diff). */
function golden(name: string, actual: string): void {
  const file = join(testdata, name);
  if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("slipway lint", () => {
  it.each(examples)("examples/%s lints clean", async (file) => {
    const r = await run(["lint", "-f", `examples/${file}`]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK: .*Rollout.* valid \(\d+ other objects ignored\)\n$/);
  });

  it("prints one line per problem: <Kind>/<name>: <field path>: <message with fix>", async () => {
    const r = await run(["lint", "-f", "src/cli/testdata/invalid.yaml"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    golden("invalid.lint.golden", r.err);
  });

  it("reads stdin with -f -", async () => {
    const text = readFileSync(join(root, "examples/istio.yaml"), "utf8");
    const r = await run(["lint", "-f", "-"], text);
    expect([r.code, r.out]).toEqual([
      0,
      "OK: 1 ClusterAnalysisTemplate, 1 Rollout valid (4 other objects ignored)\n",
    ]);
  });

  it("reports YAML syntax errors with line and column", async () => {
    const r = await run(
      ["lint", "-f", "-"],
      "apiVersion: v1\nkind: ConfigMap\n---\nspec:\n  steps: [1, 2\n  x: 1\n",
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^<stdin>:6:\d+: YAML syntax error: /);
  });

  it("fails when the file holds no Slipway object", async () => {
    const r = await run(["lint", "-f", "-"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    expect(r.code).toBe(1);
    expect(r.err).toContain("<stdin>: no Rollout, AnalysisTemplate or ClusterAnalysisTemplate found");
  });

  it("names a file it cannot read", async () => {
    let err = "";
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => (err += t),
      readFile: () => Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT" })),
      readStdin: () => Promise.resolve(""),
    };
    expect(await main(["node", "slipway", "lint", "-f", "nope.yaml"], io)).toBe(1);
    expect(err).toBe("nope.yaml: cannot read: no such file or directory\n");
  });

  it("expands a v1 List and flags objects without apiVersion/kind", async () => {
    const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ metadata: { name: "x" } }] });
    const r = await run(["lint", "-f", "-"], list);
    expect(r.code).toBe(1);
    expect(r.err).toBe("object/x: (object): not a Kubernetes object: add apiVersion and kind\n");
  });
});

describe("slipway lint: query placeholders and template arguments", () => {
  const template = (query: string, args = "[{name: service}]") => `apiVersion: rollouts.slipway.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: up, namespace: shop}
spec:
  args: ${args}
  metrics:
    - name: up
      provider:
        prometheus:
          address: http://prometheus.monitoring:9090
          query: '${query}'
      successCondition: "result[0] >= 1.0"
`;

  it("refuses placeholders that can never resolve, one line each, and exits 1", async () => {
    const r = await run(["lint", "-f", "-"], template('up{job="{{args.nope}}", x="{{ canary.revison }}"}'));
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      "AnalysisTemplate/up: spec.metrics[0].provider.prometheus.query: uses {{args.nope}}, which the template does not declare: declare it in spec.args ({name: nope}; declared: service)\n" +
        "AnalysisTemplate/up: spec.metrics[0].provider.prometheus.query: uses {{canary.revison}}, which is not a variable: did you mean {{canary.revision}}?\n",
    );
  });

  it("refuses an unclosed placeholder", async () => {
    const r = await run(["lint", "-f", "-"], template('up{job="{{args.service"}'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'AnalysisTemplate/up: spec.metrics[0].provider.prometheus.query: "{{" at offset 8 is never closed with "}}": close the placeholder or remove the "{{"\n',
    );
  });

  it("accepts declared arguments and built-in variables", async () => {
    const r = await run(
      ["lint", "-f", "-"],
      template('up{job="{{ args.service }}", x="{{canary.revision}}"}'),
    );
    expect([r.code, r.out, r.err]).toEqual([0, "OK: 1 AnalysisTemplate valid\n", ""]);
  });

  const rollout = (args: string) => `---
apiVersion: rollouts.slipway.dev/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  strategy:
    canary:
      steps:
        - replicas: 1
          analysis: {templates: [{name: up}], args: ${args}}
        - replicas: "100%"
`;

  it("reports a required template argument the Rollout does not pass", async () => {
    const input = template('up{job="{{args.service}}",t="{{args.team}}"}', "[{name: service}, {name: team}]");
    const r = await run(["lint", "-f", "-"], input + rollout("[{name: team, value: a}]"));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `Rollout/web: spec.strategy.canary.steps[0].analysis.args: AnalysisTemplate up needs argument "service", which has no default: add {name: service, value: ...} to spec.strategy.canary.steps[0].analysis.args, or a value to the template's spec.args\n`,
    );
    const passed = await run(
      ["lint", "-f", "-"],
      input + rollout("[{name: service, value: web}, {name: team, value: a}]"),
    );
    expect([passed.code, passed.out]).toEqual([0, "OK: 1 AnalysisTemplate, 1 Rollout valid\n"]);
  });

  it("does not judge arguments of a template that is not in the input", async () => {
    const r = await run(["lint", "-f", "-"], rollout("[]"));
    expect([r.code, r.out]).toEqual([0, "OK: 1 Rollout valid\n"]);
  });
});

describe("slipway lint: steps that shrink the canary (mixed units)", () => {
  const file = "src/cli/testdata/mixed-units.yaml";

  it("is an error at a known replica count (--replicas), naming both steps and the fix", async () => {
    const r = await run(["lint", "-f", file, "--replicas", "10"]);
    expect([r.code, r.out]).toEqual([1, ""]);
    expect(r.err).toBe(
      'Rollout/api: spec.strategy.canary.steps[1].replicas: step 2 (3) is 3 pod(s) at 10 replicas, fewer than step 1 ("50%" = 5 pod(s)): the canary would shrink; raise step 2 to at least 5 pod(s) or reorder the steps (replicas from --replicas)\n',
    );
    expect(await run(["lint", "-f", file, "--replicas", "4"])).toEqual({
      code: 0,
      out: "OK: 1 Rollout valid\n",
      err: "",
    });
    expect((await run(["lint", "-f", file, "--replicas", "ten"])).err).toBe(
      "--replicas ten: use a whole number >= 0\n",
    );
  });

  it("reads the replica count from the workload in the input, also from another file of a directory", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "slipway-lint-"));
    writeFileSync(join(scratch, "rollout.yaml"), readFileSync(join(root, file), "utf8"));
    writeFileSync(
      join(scratch, "deployment.yaml"),
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {replicas: 10}\n",
    );
    const r = await run(["lint", "-f", scratch]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${join(scratch, "rollout.yaml")}: Rollout/api: spec.strategy.canary.steps[1].replicas: step 2 (3) is 3 pod(s) at 10 replicas`,
    );
    expect(r.err).toContain("(replicas from Deployment/api)");
  });

  it("without a replica count, warns with a size at which the steps shrink, and passes", async () => {
    const r = await run(["lint", "-f", file]);
    expect([r.code, r.out]).toEqual([0, "OK: 1 Rollout valid\n"]);
    expect(r.err).toBe(
      'warning: Rollout/api: spec.strategy.canary.steps[2].replicas: the steps mix integers and percentages and shrink the canary at some sizes, e.g. step 3 ("80%") is 1 pod(s) at 2 replicas, fewer than step 2 (3 = 2 pod(s)): the canary would shrink; raise step 3 to at least 2 pod(s) or reorder the steps. The controller refuses the release at such a size: lint with --replicas N or with Deployment/api in the input to check yours\n',
    );
  });
});

describe("slipway lint -f DIR", () => {
  const dir = "src/cli/testdata/dir-mixed";

  it("lints every .yaml/.yml/.json file of the directory, one result per file, and exits 1 if any has problems", async () => {
    const r = await run(["lint", "-f", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      `${dir}/a-rollout.yaml: OK: 1 Rollout valid\n` +
        `${dir}/c-configmap.json: no Slipway objects (1 other object ignored)\n`,
    );
    golden("dir-mixed.lint.golden", r.err);
  });

  it("reads subdirectories only with -R / --recursive", async () => {
    for (const flag of ["-R", "--recursive"]) {
      const r = await run(["lint", "-f", dir, flag]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${dir}/nested/e-template.yaml: OK: 1 AnalysisTemplate valid\n`);
      expect(r.err).toContain(`${dir}: 2 of 5 files have problems\n`);
    }
  });

  it("exits 0 when every file is valid, ignoring files that are not manifests", async () => {
    const r = await run(["lint", "-f", "src/cli/testdata/dir-app/"]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out).toBe(
      "src/cli/testdata/dir-app/deployment.yaml: no Slipway objects (1 other object ignored)\n" +
        "src/cli/testdata/dir-app/rollout.yml: OK: 1 Rollout valid\n",
    );
  });

  it("refuses a directory without manifest files, and one without any Slipway object", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "slipway-lint-"));
    writeFileSync(join(scratch, "notes.txt"), "not a manifest");
    mkdirSync(join(scratch, "more"));
    expect(await run(["lint", "-f", scratch])).toEqual({
      code: 1,
      out: "",
      err: `${scratch}: no .yaml, .yml or .json files in this directory (subdirectories are read with -R)\n`,
    });
    writeFileSync(join(scratch, "more", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    expect(await run(["lint", "-f", scratch, "-R"])).toEqual({
      code: 1,
      out: `${join(scratch, "more", "cm.yaml")}: no Slipway objects (1 other object ignored)\n`,
      err: `${scratch}: no Rollout, AnalysisTemplate or ClusterAnalysisTemplate found in 1 file: nothing to lint (check apiVersion rollouts.slipway.dev/v1alpha1)\n`,
    });
    expect((await run(["lint", "-f", join(scratch, "missing")])).err).toBe(
      `${join(scratch, "missing")}: cannot read: no such file or directory\n`,
    );
  });
});

describe("slipway plan", () => {
  it("plans from a directory whose Rollout and workload sit in different files", async () => {
    const r = await run(["plan", "-f", "src/cli/testdata/dir-app", "-o", "json"]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(JSON.parse(r.out).map((s: { canaryReplicas: number }) => s.canaryReplicas)).toEqual([1, 2, 4]);
    const missing = await run(["plan", "-f", "src/cli/testdata/dir-mixed/nested"]);
    expect(missing).toMatchObject({
      code: 1,
      err: "src/cli/testdata/dir-mixed/nested: no Rollout to plan\n",
    });
  });

  it("prints a table, reading spec.replicas of the workload in the file", async () => {
    const r = await run(["plan", "-f", "examples/deployment-nginx.yaml"]);
    expect([r.code, r.err]).toEqual([0, ""]);
    golden("deployment-nginx.plan.golden", r.out);
  });

  it("prints JSON with -o json", async () => {
    const r = await run(["plan", "-f", "examples/istio.yaml", "-o", "json", "--replicas", "10"]);
    expect([r.code, r.err]).toEqual([0, ""]);
    golden("istio.plan.json.golden", r.out);
    expect(JSON.parse(r.out)[1]).toEqual({
      step: 2,
      canaryReplicas: 3,
      stableReplicas: 7,
      traffic: 10,
      analysis: ["cluster/p99-latency"],
      pause: { kind: "none" },
    });
  });

  it("prints notes for a StatefulSet without traffic routing", async () => {
    const r = await run(["plan", "-f", "examples/statefulset.yaml", "--replicas", "3"]);
    expect(r.code).toBe(0);
    golden("statefulset.plan.golden", r.out);
  });

  it("prints the plan and fails with an error when mixed units shrink the canary at this size", async () => {
    const r = await run(["plan", "-f", "src/cli/testdata/mixed-units.yaml", "--replicas", "10"]);
    expect(r.code).toBe(1);
    golden("mixed-units.plan.golden", r.out + r.err);
    const fine = await run(["plan", "-f", "src/cli/testdata/mixed-units.yaml", "--replicas", "4"]);
    expect([fine.code, fine.err]).toEqual([0, ""]);
  });

  it("asks for --replicas when the workload is not in the file", async () => {
    const r = await run(["plan", "-f", "src/cli/testdata/mixed-units.yaml"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "src/cli/testdata/mixed-units.yaml: Deployment/api is not in the file: pass --replicas N to plan without it\n",
    );
  });

  it("refuses an invalid Rollout with its problems", async () => {
    const r = await run(["plan", "-f", "src/cli/testdata/invalid.yaml", "--replicas", "3"]);
    expect(r.code).toBe(1);
    const lintLines = readFileSync(join(testdata, "invalid.lint.golden"), "utf8").split("\n");
    expect(r.err.split("\n").filter(Boolean)).toEqual(lintLines.filter((l) => l.startsWith("Rollout/web: ")));
  });

  it("asks for --name when the file holds several Rollouts", async () => {
    const a = readFileSync(join(root, "examples/istio.yaml"), "utf8");
    const b = readFileSync(join(root, "examples/statefulset.yaml"), "utf8");
    const r = await run(["plan", "-f", "-", "--replicas", "2"], `${a}\n---\n${b}`);
    expect(r.code).toBe(1);
    expect(r.err).toBe("<stdin>: holds 2 Rollouts (checkout, cache): pick one with --name\n");
    const picked = await run(
      ["plan", "-f", "-", "--replicas", "2", "--name", "cache", "-o", "json"],
      `${a}\n---\n${b}`,
    );
    expect(JSON.parse(picked.out).map((s: { canaryReplicas: number }) => s.canaryReplicas)).toEqual([
      1, 1, 2,
    ]);
  });

  it.each([
    [["--replicas", "-3"], "--replicas -3: use a whole number >= 0\n"],
    [["--replicas", "2", "-o", "wide"], "-o wide: use table, json or yaml\n"],
  ])("refuses bad flags %j", async (flags, message) => {
    const r = await run(["plan", "-f", "examples/istio.yaml", ...flags]);
    expect([r.code, r.err]).toEqual([1, message]);
  });
});

describe("the slipway bin", () => {
  const bin = join(root, "bin", "slipway.js");

  it("runs lint as a real process", () => {
    const r = spawnSync(process.execPath, [bin, "lint", "-f", join(root, "examples/deployment-nginx.yaml")], {
      encoding: "utf8",
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([
      0,
      "OK: 1 AnalysisTemplate, 1 Rollout valid (3 other objects ignored)\n",
      "",
    ]);
  });

  it("exits 1 and prints problems for invalid input on stdin", () => {
    const input = readFileSync(join(testdata, "invalid.yaml"), "utf8");
    const r = spawnSync(process.execPath, [bin, "lint", "-f", "-"], { input, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      readFileSync(join(testdata, "invalid.lint.golden"), "utf8").replaceAll(
        "src/cli/testdata/invalid.yaml",
        "<stdin>",
      ),
    );
  });

  it("prints usage for an unknown command and exits non-zero", () => {
    const r = spawnSync(process.execPath, [bin, "frobnicate"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});
