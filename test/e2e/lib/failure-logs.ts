// vitest setup file of the e2e project: when a test fails, print the tails of the control-plane logs
// (only for the local cluster, whose logs are files on this machine).
import { beforeEach } from "vitest";
import { componentLogTails } from "../../cluster/logs.ts";
import { currentCluster } from "./context.ts";

const LINES = Number(process.env["SLIPWAY_LOG_TAIL_LINES"] ?? 25);

beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => {
    const cluster = currentCluster();
    if (!cluster.local || cluster.stateDir === undefined) return;
    console.error(
      `\n[${task.name}] failed; control-plane log tails:\n${componentLogTails(cluster.stateDir, LINES)}\n`,
    );
  });
});
