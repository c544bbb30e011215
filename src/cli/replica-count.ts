// The replica count `plan` and `lint` judge a Rollout's steps at: `--replicas N`, else spec.replicas of the
// Rollout's workload when it is among the manifests read.
import type { Rollout } from "../api/rollout.ts";
import { identify, type Manifest } from "./manifests.ts";

export type ReplicaCount =
  | { readonly replicas: number; readonly from: string }
  /** The workload is not among the manifests (`Deployment/web`). */
  | { readonly missing: string }
  | { readonly error: string };

/** `--replicas N`: a whole number >= 0. */
export function parseReplicasFlag(flag: string): { readonly replicas: number } | { readonly error: string } {
  return /^[0-9]+$/.test(flag)
    ? { replicas: Number(flag) }
    : { error: `--replicas ${flag}: use a whole number >= 0` };
}

export function replicaCountFor(
  rollout: Rollout,
  flag: string | undefined,
  manifests: readonly Manifest[],
): ReplicaCount {
  if (flag !== undefined) {
    const parsed = parseReplicasFlag(flag);
    return "error" in parsed ? parsed : { replicas: parsed.replicas, from: "--replicas" };
  }
  const ref = rollout.spec.workloadRef;
  const workload = manifests.find((m) => {
    const id = identify(m.object);
    const ns = rollout.metadata.namespace;
    const sameNs = ns === undefined || id.namespace === undefined || id.namespace === ns;
    return id.apiVersion === ref.apiVersion && id.kind === ref.kind && id.name === ref.name && sameNs;
  });
  const wanted = `${ref.kind}/${ref.name}`;
  if (!workload) return { missing: wanted };
  const spec = (workload.object as { spec?: { replicas?: unknown } }).spec;
  const replicas = spec?.replicas ?? 1; // the API server's default for all three kinds
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    return {
      error: `${wanted}: spec.replicas ${JSON.stringify(replicas)} is not a whole number: fix it or pass --replicas N`,
    };
  }
  return { replicas, from: spec?.replicas === undefined ? `${wanted} (spec.replicas unset: 1)` : wanted };
}
