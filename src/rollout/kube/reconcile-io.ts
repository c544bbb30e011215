// ReconcileIO backed by the API server: workload reads from the informer caches, writes with preconditions,
// Rollout status by PUT with the resourceVersion it was computed from, Events through the recorder.
import { withDefaults } from "../../api/defaults.ts";
import { parseReleaseAnnotation } from "../../api/held-workload.ts";
import { ANNOTATION_RELEASE, API_VERSION, KIND_ROLLOUT, LABEL_MANAGED_BY } from "../../api/names.ts";
import type { RolloutStatus } from "../../api/rollout-status.ts";
import type { KubeClient } from "../../kube/client.ts";
import { isConflict, isNotFound } from "../../kube/errors.ts";
import type { EventRecorder } from "../../kube/events.ts";
import { mergePatch, replaceStatus } from "../../kube/patch.ts";
import { ROLLOUTS, type KubeObject } from "../../kube/resources.ts";
import { KubeTrafficIO } from "../../traffic/kube/io.ts";
import { applyWrites } from "../../workloads/io.ts";
import { revertToStableTemplate } from "../../workloads/kube/stable-template.ts";
import type { ReconcileIO, RolloutObject, RolloutWrite, WriteOutcome } from "../io.ts";
import { adapterFor } from "./adapters.ts";
import type { CachedWorkloadIO } from "./workload-io.ts";

export interface KubeReconcileIOOptions {
  readonly client: KubeClient;
  readonly workloads: CachedWorkloadIO;
  readonly recorder: EventRecorder;
  /** A Rollout written by this process, for the next reconcile to use until the watch delivers it. */
  readonly remember: (obj: KubeObject, writtenFrom: string) => void;
  readonly now: () => Date;
}

export function kubeReconcileIO(o: KubeReconcileIOOptions): ReconcileIO {
  const target = (obj: RolloutObject) => ({
    resource: ROLLOUTS,
    name: obj.rollout.metadata.name,
    namespace: obj.rollout.metadata.namespace ?? "",
  });
  const rolloutWrite = async (obj: RolloutObject, send: () => Promise<KubeObject>): Promise<RolloutWrite> => {
    try {
      const written = await send();
      o.remember(written, obj.resourceVersion);
      return { ok: true, resourceVersion: written.metadata?.resourceVersion ?? "" };
    } catch (err) {
      if (isConflict(err)) return { ok: false, reason: "conflict" };
      if (isNotFound(err)) return { ok: false, reason: "gone" };
      throw err;
    }
  };
  const workloadRef = (obj: RolloutObject) => ({
    apiVersion: obj.rollout.spec.workloadRef.apiVersion,
    kind: obj.rollout.spec.workloadRef.kind,
    namespace: obj.rollout.metadata.namespace ?? "",
    name: obj.rollout.spec.workloadRef.name,
  });

  return {
    traffic: new KubeTrafficIO(o.client),
    async loadWorkload(obj) {
      const adapter = adapterFor(withDefaults(obj.rollout.spec));
      if ("problem" in adapter) return adapter;
      const owner = {
        apiVersion: API_VERSION,
        kind: KIND_ROLLOUT,
        name: obj.rollout.metadata.name,
        uid: obj.uid,
        controller: true,
        blockOwnerDeletion: true,
      };
      const ref = workloadRef(obj);
      const stableRevision = obj.rollout.status?.stableRevision;
      const observed = await adapter.load(o.workloads, ref, {
        now: o.now(),
        owner,
        ...(stableRevision === undefined || stableRevision === "" ? {} : { stableRevision }),
      });
      if (observed === undefined) return undefined;
      const object = await o.workloads.get(ref);
      const release = parseReleaseAnnotation(object?.metadata?.annotations?.[ANNOTATION_RELEASE]);
      return { ...observed, releaseKey: release?.canaryTemplateHash };
    },
    async apply(writes) {
      const result = await applyWrites(o.workloads, writes);
      return { applied: result.applied, stale: result.stale !== undefined };
    },
    async revertToStable(obj, stableRevision) {
      const ref = workloadRef(obj);
      try {
        return await revertToStableTemplate(
          o.client,
          { kind: obj.rollout.spec.workloadRef.kind, name: ref.name, namespace: ref.namespace },
          stableRevision,
          "slipway",
        );
      } catch (err) {
        if (isNotFound(err)) return { kind: "unchanged" };
        throw err;
      }
    },
    async labelWorkload(obj): Promise<WriteOutcome> {
      const ref = workloadRef(obj);
      const workload = await o.workloads.get(ref);
      if (workload === undefined) return "gone";
      if (workload.metadata?.labels?.[LABEL_MANAGED_BY] === obj.rollout.metadata.name) return "ok";
      const result = await o.workloads.patch(
        ref,
        { metadata: { labels: { [LABEL_MANAGED_BY]: obj.rollout.metadata.name } } },
        workload.metadata?.resourceVersion ?? "",
      );
      return result.ok ? "ok" : result.reason === "not-found" ? "gone" : "conflict";
    },
    writeStatus(obj, status: RolloutStatus) {
      const body = {
        ...obj.raw,
        metadata: { ...(obj.raw["metadata"] as object), resourceVersion: obj.resourceVersion },
        status,
      };
      return rolloutWrite(obj, () => replaceStatus<KubeObject>(o.client, target(obj), body as KubeObject));
    },
    patchMetadata(obj, metadata) {
      return rolloutWrite(obj, () =>
        mergePatch<KubeObject>(o.client, target(obj), {
          metadata: { ...metadata, resourceVersion: obj.resourceVersion },
        }),
      );
    },
    event(obj, event) {
      const subject = {
        apiVersion: API_VERSION,
        kind: KIND_ROLLOUT,
        name: obj.rollout.metadata.name,
        namespace: obj.rollout.metadata.namespace ?? "",
        uid: obj.uid,
      };
      o.recorder.record(subject, event.type, event.reason, event.reason, event.message);
    },
  };
}
