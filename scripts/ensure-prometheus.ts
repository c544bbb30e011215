// Makes sure Debian's prometheus binary exists before the demo or an e2e test starts one (see the script).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "ensure-prometheus.sh");

/** Installs prometheus with apt-get when `binary` is missing (root only); throws with the fix otherwise. */
export function ensurePrometheus(binary: string): void {
  if (existsSync(binary)) return;
  const result = spawnSync("bash", [SCRIPT], {
    stdio: ["ignore", "inherit", "pipe"],
    encoding: "utf8",
    env: { ...process.env, SLIPWAY_PROMETHEUS: binary },
  });
  if (result.status !== 0 || !existsSync(binary)) {
    throw new Error(
      (result.stderr || "").trim() ||
        `${binary} is missing: run 'sudo apt-get install -y --no-install-recommends prometheus'`,
    );
  }
}
