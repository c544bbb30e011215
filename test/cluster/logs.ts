// Tails of the component logs, printed when `up` fails or an e2e test fails.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { ADDONS, COMPONENTS, clusterPaths } from "./config.ts";

/** The last `lines` lines of a file, reading at most the final 256 KiB. */
export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return "(no log file)";
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf
      .toString("utf8")
      .split("\n")
      .slice(-lines - 1)
      .join("\n")
      .trimEnd();
  } finally {
    closeSync(fd);
  }
}

export function componentLogTails(stateDir: string, lines = 30): string {
  const paths = clusterPaths(stateDir);
  // Addons have a log only when they were started.
  const started = ADDONS.filter((a) => existsSync(paths.logFile(a)));
  return [...COMPONENTS, ...started]
    .map((c) => `===== ${paths.logFile(c)} (last ${lines} lines) =====\n${tailFile(paths.logFile(c), lines)}`)
    .join("\n");
}
