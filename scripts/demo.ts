// npm run demo [-- --yes] [-- --keep]: Slipway's main job, end to end on this machine. Starts the local
// control plane, Prometheus and the Slipway controller on loopback, deploys a sample app whose metrics are
// simulated per version, attaches a Rollout (traffic steps, a success-rate gate, one approval), then
// releases v2 (good: completes) and v3 (bad: the gate fails and traffic goes back to stable by itself),
// showing the live `kubectl slipway get --watch` view throughout.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Rollout } from "../src/api/rollout.ts";
import { runGet } from "../src/cli/get.ts";
import type { CliIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { connect, type Connection } from "../src/cli/connection.ts";
import { RolloutWatcher } from "../src/cli/watch.ts";
import { down, runningCluster, up } from "../test/cluster/lifecycle.ts";
import { startAppExporter } from "./demo/app-exporter.ts";
import { applyAll, installCrds, setImage, summary } from "./demo/cluster-io.ts";
import { APP, NAMESPACE, appManifests } from "./demo/manifests.ts";
import {
  freePort,
  MAIN,
  missingPieces,
  startChild,
  startPrometheus,
  waitForHttp,
  type Child,
} from "./demo/processes.ts";

const args = new Set(process.argv.slice(2));
if (args.has("--help")) {
  console.log(
    "npm run demo [-- --yes] [-- --keep]\n  --yes   approve the release's pause automatically\n  --keep  leave everything running until Ctrl-C",
  );
  process.exit(0);
}
const AUTO_APPROVE = args.has("--yes");
const KEEP = args.has("--keep");
const interactive = process.stdout.isTTY === true;
let narration = "";
const say = (text: string): void => {
  narration = text;
  if (!interactive) process.stderr.write(`\n▸ ${text}\n`);
};
const log = (text: string): void => void process.stderr.write(`  ${text}\n`);

const missing = missingPieces();
if (missing.length > 0) {
  console.error(
    `The demo cannot run in this checkout yet; it needs:\n${missing.map((m) => `  - ${m}`).join("\n")}\n` +
      "These land with the controller, traffic and analysis work; update the checkout and try again.",
  );
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "slipway-demo-"));
/** What to stop on the way out, last started first. */
const stoppers: (() => Promise<void>)[] = [];
let startedCluster = false;
/** Set once the controller runs: a reason it cannot carry the release (read from its log). */
let controllerProblem: () => string | undefined = () => undefined;

async function run(): Promise<void> {
  say("starting the local control plane (the first run builds it: tens of minutes)");
  const existing = await runningCluster();
  const cluster = existing ?? (await up((line) => log(line)));
  startedCluster = existing === undefined;
  const kubeconfig = cluster.adminKubeconfig;
  const conn = connect({ kubeconfig, namespace: NAMESPACE });
  await installCrds(conn);

  const [appPort, controllerMetrics, webhookPort, prometheusPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  say("starting the Slipway controller, the demo app's metrics and Prometheus (all on 127.0.0.1)");
  const controller = startChild(
    "slipway-controller",
    process.execPath,
    [
      MAIN,
      "controller",
      "--kubeconfig",
      kubeconfig,
      "--webhook-local-port",
      String(webhookPort),
      "--metrics-port",
      String(controllerMetrics),
      "--log-level",
      "info",
    ],
    dir,
  );
  stoppers.push(() => controller.stop());
  controllerProblem = () => unsupported(controller);
  await waitForHttp(`http://127.0.0.1:${controllerMetrics}/readyz`, 90_000, controller);
  await applyAll(conn, appManifests(prometheusUrl).slice(0, 1)); // the namespace, for the app's informers
  const exporter = await startAppExporter(conn.client, appPort);
  stoppers.push(() => exporter.stop());
  const prometheus = startPrometheus(dir, prometheusPort, {
    app: exporter.port,
    controller: controllerMetrics,
  });
  stoppers.push(() => prometheus.stop());
  await waitForHttp(`${prometheusUrl}/-/ready`, 60_000, prometheus);

  say(
    `deploying ${NAMESPACE}/${APP} (v1, 10 pods) with a Rollout: 10% → 30% + success-rate gate → 60% + approval → 100%`,
  );
  await applyAll(conn, appManifests(prometheusUrl));
  await until(
    conn,
    "the Rollout to attach and report Healthy",
    120_000,
    (r) => r.status?.phase === "Healthy",
  );

  const view = startView(kubeconfig);
  stoppers.push(() => view.stop());
  {
    const t2 = Date.now();
    say("releasing v2 (a good version): watch the canary grow step by step");
    await setImage(conn, "v2");
    await until(conn, "v2 to reach the approval at step 3", 300_000, (r) => waitsForApproval(r));
    const approve = `kubectl slipway approve ${APP} -n ${NAMESPACE}`;
    if (AUTO_APPROVE) {
      say(`v2 passed its success-rate gate and waits for approval; approving in 3 s (${approve})`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await main(["node", "slipway", "approve", APP, "-n", NAMESPACE, "--kubeconfig", kubeconfig], quietIo());
    } else {
      say(
        `v2 passed its gate and waits for YOU: in another terminal run  KUBECONFIG=${kubeconfig} npm run -s slipway -- approve ${APP} -n ${NAMESPACE}   (or: ${approve})`,
      );
    }
    await until(
      conn,
      "v2 to complete",
      600_000,
      (r) => r.status?.phase === "Healthy" && latestOutcome(r) === "Succeeded",
    );
    const v2Seconds = Math.round((Date.now() - t2) / 1000);

    const t3 = Date.now();
    say("releasing v3 (a bad version: 30% of its requests fail) — nobody needs to do anything");
    await setImage(conn, "v3");
    await until(
      conn,
      "the gate to fail and v3 to be aborted",
      300_000,
      (r) => r.status?.phase === "Aborted" && (r.status.trafficWeight ?? 0) === 0,
    );
    const v3Seconds = Math.round((Date.now() - t3) / 1000);
    say("v3 failed its gate: traffic is back on v2 and the canary pods are gone");
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await view.stop();
    process.stdout.write(
      await summary(conn, { kubeconfig, prometheusUrl, controllerMetrics, v2Seconds, v3Seconds, logs: dir }),
    );
  }
  if (KEEP) {
    console.log(
      `\nEverything keeps running (--keep). Ctrl-C stops the controller, Prometheus and the app; the cluster stays up (npm run cluster:down).`,
    );
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
}

/** A release the controller says it cannot run (e.g. a step type this build does not register). */
function unsupported(controller: Child): string | undefined {
  let text: string;
  try {
    text = readFileSync(controller.log, "utf8");
  } catch {
    return undefined;
  }
  const line = text.split("\n").find((l) => l.includes('"reason":"UnsupportedSteps"'));
  if (line === undefined) return undefined;
  const message = (JSON.parse(line) as { msg?: string }).msg ?? line;
  return `the controller cannot run this Rollout: ${message} (this build of slipway controller lacks a step type the demo uses)`;
}

// A step's approval pause is part of a progressing release (phase Progressing, step state Paused, SPEC §2.1);
// phase Paused is kept for spec.paused and inconclusive analysis.
function waitsForApproval(r: Rollout): boolean {
  return r.status?.currentStepState === "Paused" && r.status.currentStepIndex === 3;
}

function latestOutcome(r: Rollout): string | undefined {
  const history = [...(r.status?.history ?? [])].sort(
    (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt),
  );
  return history.at(-1)?.outcome;
}

/** Waits on watch events until `done` holds for the Rollout; fails with its last status message. */
async function until(
  conn: Connection,
  what: string,
  timeoutMs: number,
  done: (r: Rollout) => boolean,
): Promise<void> {
  let resolve: () => void = () => {};
  const reached = new Promise<void>((r) => (resolve = r));
  let last = "";
  const check = (): void => {
    const rollout = watcher.current()[0]?.rollout;
    last = rollout?.status?.message ?? last;
    if (rollout !== undefined && done(rollout)) resolve();
  };
  const watcher = new RolloutWatcher(conn, APP, check);
  let timer: NodeJS.Timeout | undefined;
  let problems: NodeJS.Timeout | undefined;
  try {
    await watcher.start();
    check();
    await Promise.race([
      reached,
      new Promise<never>((_, reject) => {
        // Reads the controller's log file (local), not the API: fail at once instead of at the timeout.
        problems = setInterval(() => {
          const problem = controllerProblem();
          if (problem !== undefined) reject(new Error(problem));
        }, 1000);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`timed out waiting for ${what}; the Rollout says: ${last || "nothing yet"}`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    clearInterval(problems);
    await watcher.stop();
  }
}

/** `kubectl slipway get web --watch`, in-process, with the demo's narration under the view. */
function startView(kubeconfig: string): { stop(): Promise<void> } {
  const stop = new AbortController();
  const columns = interactive ? Math.max(60, process.stdout.columns) : 100;
  const io: CliIo = {
    stdout: (text) => process.stdout.write(interactive ? `${text}\n▸ ${narration}\n` : text),
    stderr: (text) => process.stderr.write(text),
    readFile: () => Promise.reject(new Error("not used")),
    readStdin: () => Promise.resolve(""),
    terminal: { interactive, columns, color: interactive && !process.env["NO_COLOR"] },
    signal: stop.signal,
    now: Date.now,
  };
  const running = runGet(APP, { namespace: NAMESPACE, kubeconfig, watch: true }, io);
  return {
    async stop() {
      stop.abort();
      await running;
    },
  };
}

function quietIo(): CliIo {
  return {
    stdout: () => {},
    stderr: (text) => process.stderr.write(text),
    readFile: () => Promise.reject(new Error("not used")),
    readStdin: () => Promise.resolve(""),
  };
}

async function cleanUp(): Promise<void> {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  if (startedCluster && !KEEP) await down(() => {});
}

try {
  await run();
  await cleanUp();
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).message}\nlogs: ${dir}`);
  await cleanUp();
  process.exitCode = 1;
}
// Informers and keep-alive connections would hold the event loop open; everything is stopped by now.
process.exit(process.exitCode ?? 0);
