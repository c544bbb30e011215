// Rollout metadata the webhook reads. src/api's ObjectMetaSchema types only name and namespace (the rest
// passes through untyped), so annotations and deletionTimestamp are read here, defensively, once.

import type { Rollout } from "../src/api/rollout.ts";

export function annotationsOf(
  rollout: Pick<Rollout, "metadata"> | undefined,
): Readonly<Record<string, string>> {
  const annotations = rollout?.metadata["annotations"];
  if (typeof annotations !== "object" || annotations === null) return {};
  return Object.fromEntries(
    Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

export function isDeleting(rollout: Pick<Rollout, "metadata">): boolean {
  const deletionTimestamp = rollout.metadata["deletionTimestamp"];
  return deletionTimestamp !== undefined && deletionTimestamp !== null;
}

/** `rollout <namespace>/<name>`, as every message names it. */
export function rolloutName(rollout: Pick<Rollout, "metadata">): string {
  return `rollout ${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`;
}
