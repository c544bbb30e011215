// The Rollout cache behind admission: one informer (LIST once, then WATCH) over every namespace, each
// object parsed once on arrival. Admission reads memory only.

import type { KubeLogger } from "../../src/kube/log.ts";
import { RolloutSchema, type Rollout } from "../../src/api/rollout.ts";
import type { ApiTransport } from "../../src/kube/client.ts";
import { isNotFound } from "../../src/kube/errors.ts";
import { Informer } from "../../src/kube/informer.ts";
import { collectionPath, objectPath, ROLLOUTS, type KubeObject } from "../../src/kube/resources.ts";
import { MemoryRolloutCache } from "../rollout-cache.ts";

/** A stored Rollout passed the API server's validation; parse it for its types, not to judge it. */
export function rolloutFromStored(object: unknown): Rollout | undefined {
  const full = RolloutSchema.safeParse(object);
  if (full.success) return full.data;
  // A status written by a newer controller must not make the webhook forget the Rollout (and stop
  // holding its releases): keep the fields admission reads.
  const status = (object as { status?: Record<string, unknown> } | null)?.status ?? {};
  const core = Object.fromEntries(
    ["phase", "currentStepIndex", "currentStepState", "canaryRevision", "stableRevision"]
      .filter((k) => status[k] !== undefined)
      .map((k) => [k, status[k]]),
  );
  const lenient = RolloutSchema.safeParse({ ...(object as object), status: core });
  return lenient.success ? lenient.data : undefined;
}

export interface RolloutInformer {
  readonly cache: MemoryRolloutCache;
  stop(): Promise<void>;
}

const REFRESH_TIMEOUT_MS = 1_500;

export function startRolloutInformer(transport: ApiTransport, logger: KubeLogger): RolloutInformer {
  const informer = new Informer<KubeObject>({ transport, path: collectionPath(ROLLOUTS), logger });
  const refresh = async (namespace: string, name: string): Promise<Rollout | undefined> => {
    try {
      const object = await transport.request({
        method: "GET",
        path: objectPath(ROLLOUTS, name, namespace),
        timeoutMs: REFRESH_TIMEOUT_MS,
      });
      return rolloutFromStored(object);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // The cache is the best knowledge left; deciding from it keeps the release held.
      return cache.get(namespace, name);
    }
  };
  const cache = new MemoryRolloutCache(refresh);
  const put = (object: KubeObject) => {
    const rollout = rolloutFromStored(object);
    if (rollout !== undefined) {
      cache.upsert(rollout);
      return;
    }
    const meta = object.metadata ?? {};
    logger.error(
      { rollout: `${meta.namespace ?? ""}/${meta.name ?? ""}` },
      "cannot read a stored Rollout; its workload's releases are not held until it is fixed",
    );
  };
  informer.onAdd(put);
  informer.onUpdate((_old, next) => put(next));
  informer.onDelete((gone) => {
    const meta = gone.metadata ?? {};
    cache.remove({ metadata: { name: meta.name ?? "", namespace: meta.namespace } });
  });
  informer.start();
  void informer.waitForSync().then(() => {
    if (informer.hasSynced()) cache.markSynced();
  });
  return { cache, stop: () => informer.stop() };
}
