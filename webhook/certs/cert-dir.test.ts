import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SILENT_LOGGER } from "../../src/kube/log.ts";
import { readCertDir, watchCertDir, type CertDirFiles } from "./cert-dir.ts";

let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

describe("--cert-dir", () => {
  it("reloads when the files change, and keeps the old certificate when loading fails", async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-certs-"));
    await writeFile(join(dir, "tls.crt"), "cert-1");
    await writeFile(join(dir, "tls.key"), "key-1");
    const seen: CertDirFiles[] = [];
    let failNext = true;
    const watch = watchCertDir(
      dir,
      await readCertDir(dir),
      (files) => {
        if (failNext) {
          failNext = false;
          throw new Error("half-written pair");
        }
        seen.push(files);
      },
      SILENT_LOGGER,
      20,
    );
    try {
      await writeFile(join(dir, "tls.crt"), "cert-2");
      await writeFile(join(dir, "ca.crt"), "ca-2");
      await expect.poll(() => seen.length, { timeout: 2000 }).toBe(1);
      expect(seen[0]).toEqual({ serving: { cert: "cert-2", key: "key-1" }, ca: "ca-2" });
    } finally {
      watch.stop();
    }
  });
});
