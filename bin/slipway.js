#!/usr/bin/env node
// The slipway / kubectl-slipway bin. Node 24 runs the TypeScript sources directly (type stripping), so on
// Node 24 this is a thin loader. kubectl runs plugins with whatever `node` is first on PATH (often an older
// system Node), so on a Node that cannot strip types the bin re-runs itself, with the same arguments, on the
// Node 24 of the project's `node` dependency: stdio is shared, signals are forwarded and the exit code (or
// the fatal signal) is passed back. This file is plain JavaScript so that any Node >= 20 can load it.
// Decision record: docs/decisions/cli-bin-node-relay.md.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED_MAJOR = 24;
/** Set on the relayed process: it must run the sources itself, never relay again. */
const RELAY_ENV = "SLIPWAY_NODE_RELAY";
/** Signals a user or a supervisor sends to stop or steer a process; each is passed on to the relayed one. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];

function runsTypeScript() {
  const major = Number(process.versions.node.split(".")[0]);
  return major >= NEEDED_MAJOR && Boolean(process.features.typescript);
}

/** The Node binary of the `node` package (a dependency of slipway), found through module resolution. */
function packagedNode() {
  const require = createRequire(import.meta.url);
  let manifestPath;
  try {
    manifestPath = require.resolve("node/package.json");
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.node;
  if (typeof bin !== "string") return undefined;
  const path = join(dirname(manifestPath), bin);
  return existsSync(path) ? path : undefined;
}

function fail(message) {
  process.stderr.write(`slipway: ${message}\n`);
  process.exit(1);
}

function relay(node) {
  const self = fileURLToPath(import.meta.url);
  // The old Node's own flags (execArgv) are not passed on: they may be what made it unable to strip types.
  // Listening before the spawn: a signal that lands between the child's exec and the listeners would
  // otherwise kill the relay alone and leave the child running.
  let child;
  let early;
  const forward = (signal) => {
    if (child === undefined) early = signal;
    else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  child = spawn(node, [self, ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, [RELAY_ENV]: "1" },
  });
  if (early !== undefined) child.kill(early);
  child.once("error", (err) => fail(`cannot run ${node}: ${err.message}`));
  child.once("exit", (code, signal) => {
    for (const s of FORWARDED) process.off(s, forward);
    if (signal !== null) {
      // Die of the same signal, so a shell or CI runner sees what really happened (e.g. 130 for SIGINT).
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (runsTypeScript()) {
  const { main } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv);
} else if (process.env[RELAY_ENV] === "1") {
  fail(
    `Node ${process.version} at ${process.execPath} cannot run TypeScript sources; slipway needs Node ${NEEDED_MAJOR} or later with type stripping`,
  );
} else {
  const node = packagedNode();
  if (node === undefined) {
    fail(
      `this is Node ${process.version}; slipway needs Node ${NEEDED_MAJOR} (it runs its TypeScript sources directly) ` +
        `and the "node" package that brings it is not installed next to slipway: run slipway with Node ${NEEDED_MAJOR}, ` +
        `or install its dependencies (npm install)`,
    );
  } else {
    relay(node);
  }
}
