// Certificates provided as files (e.g. a cert-manager Secret mounted at --cert-dir), reloaded on change.
// A mounted Secret changes through an atomic symlink swap that file watchers miss, so the files are
// polled (as controller-runtime's certwatcher does) and compared by content.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeLogger } from "../../src/kube/log.ts";
import type { KeyPairPem } from "./generate.ts";

export interface CertDirFiles {
  readonly serving: KeyPairPem;
  /** `ca.crt` when present: published as the caBundle (otherwise cert-manager's CA injector does that). */
  readonly ca: string | undefined;
}

export async function readCertDir(dir: string): Promise<CertDirFiles> {
  const [cert, key, ca] = await Promise.all([
    readFile(join(dir, "tls.crt"), "utf8"),
    readFile(join(dir, "tls.key"), "utf8"),
    readFile(join(dir, "ca.crt"), "utf8").catch(() => undefined),
  ]);
  return { serving: { cert, key }, ca };
}

export interface CertDirWatch {
  stop(): void;
}

/**
 * Calls `onChange` with the files whenever their content changes. A half-written pair (the swap caught
 * mid-way) makes `onChange` throw; the old certificate then stays and the next poll tries again.
 */
export function watchCertDir(
  dir: string,
  initial: CertDirFiles,
  onChange: (files: CertDirFiles) => void,
  logger: KubeLogger,
  pollMs = 10_000,
): CertDirWatch {
  const digest = (f: CertDirFiles) =>
    createHash("sha256")
      .update(f.serving.cert)
      .update(f.serving.key)
      .update(f.ca ?? "")
      .digest("hex");
  let current = digest(initial);
  const timer = setInterval(() => {
    void readCertDir(dir)
      .then((files) => {
        const next = digest(files);
        if (next === current) return;
        onChange(files);
        current = next;
        logger.info({ dir }, "reloaded the webhook certificate from --cert-dir");
      })
      .catch((err: unknown) =>
        logger.warn(
          { dir, err: String(err) },
          "cannot load the certificate in --cert-dir yet; keeping the current one",
        ),
      );
  }, pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
