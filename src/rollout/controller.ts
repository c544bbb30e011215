// The Rollout controller: informers → index by workloadRef → work queue → reconcile → status.
// Every informer runs on every replica (warm caches); only the leader runs the workers.
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { parseRollout } from "../api/parse.ts";
import type { KubeClient } from "../kube/client.ts";
import type { EventRecorder } from "../kube/events.ts";
import { Informer } from "../kube/informer.ts";
import type { KubeMetrics } from "../kube/metrics.ts";
import {
  CLONESETS,
  collectionPath,
  CONTROLLER_REVISIONS,
  DEPLOYMENTS,
  objectKey,
  PODS,
  REPLICASETS,
  ROLLOUTS,
  splitKey,
  STATEFULSETS,
  type KubeObject,
  type ResourceRef,
} from "../kube/resources.ts";
import { patchStatus } from "../kube/patch.ts";
import {
  slipwayMetrics,
  type ReconcileResult as ReconcileOutcome,
  type SlipwayMetrics,
} from "../metrics/slipway-metrics.ts";
import { runWorkers } from "../kube/worker.ts";
import { WorkQueue } from "../kube/workqueue.ts";
import type { Rollout } from "../api/rollout.ts";
import type { ReconcileIO, RolloutObject } from "./io.ts";
import { KubeAnalysis } from "./kube/analysis-ports.ts";
import { kubeReconcileIO } from "./kube/reconcile-io.ts";
import { CachedWorkloadIO, kindKey, type WriteCounter } from "./kube/workload-io.ts";
import { createReconciler, type ReconcileResult } from "./reconcile.ts";

export interface ControllerOptions {
  readonly client: KubeClient;
  /** Watch one namespace only; all namespaces when undefined. */
  readonly namespace?: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly kubeMetrics: KubeMetrics;
  readonly recorder: EventRecorder;
  readonly workers?: number;
  readonly writeCounter?: WriteCounter;
  /** Also watch OpenKruise CloneSets; only where the API server serves them (an informer would fail otherwise). */
  readonly cloneSets?: boolean;
  /** Slipway's namespace (Secrets of ClusterAnalysisTemplates); default slipway-system. */
  readonly slipwayNamespace?: string;
}

/** The workload kinds a Rollout can name, by kind: where they live (for the caches). */
const WORKLOAD_API_VERSIONS: Readonly<Record<string, string>> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  CloneSet: "apps.kruise.io/v1alpha1",
};

const WORKLOAD_INDEX = "workload";
/** The `controller` label of the reconcile metrics and the `name` of the work queue's. */
const CONTROLLER_NAME = "rollout";

interface OwnerRef {
  readonly kind?: string;
  readonly name?: string;
  readonly controller?: boolean;
}

function controllerOf(obj: KubeObject): OwnerRef | undefined {
  const owners = obj.metadata?.ownerReferences as readonly OwnerRef[] | undefined;
  return owners?.find((o) => o.controller === true);
}

export class RolloutController {
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #queue: WorkQueue<string>;
  readonly #rollouts: Informer<KubeObject>;
  readonly #caches = new Map<string, Informer<KubeObject>>();
  readonly #metrics: SlipwayMetrics;
  readonly #analysis: KubeAnalysis;
  /** Rollouts this process wrote, until the watch delivers a version at least as new. */
  readonly #written = new Map<string, { readonly obj: KubeObject; readonly from: string }>();

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#metrics = slipwayMetrics(options.registry);
    this.#queue = new WorkQueue<string>({ metrics: options.kubeMetrics.workQueue(CONTROLLER_NAME) });
    const informer = (resource: ResourceRef, name: string, indexers = {}) =>
      new Informer<KubeObject>({
        transport: options.client,
        path: collectionPath(resource, options.namespace),
        indexers,
        logger: options.logger.child({ informer: name }),
        metrics: options.kubeMetrics.informer(name),
      });
    this.#rollouts = informer(ROLLOUTS, "rollouts", { [WORKLOAD_INDEX]: workloadIndex });
    this.#caches.set(kindKey("apps/v1", "Deployment"), informer(DEPLOYMENTS, "deployments"));
    this.#caches.set(kindKey("apps/v1", "ReplicaSet"), informer(REPLICASETS, "replicasets"));
    this.#caches.set(kindKey("apps/v1", "StatefulSet"), informer(STATEFULSETS, "statefulsets"));
    if (options.cloneSets === true)
      this.#caches.set(kindKey("apps.kruise.io/v1alpha1", "CloneSet"), informer(CLONESETS, "clonesets"));
    this.#caches.set(
      kindKey("apps/v1", "ControllerRevision"),
      informer(CONTROLLER_REVISIONS, "controllerrevisions"),
    );
    this.#caches.set(kindKey("v1", "Pod"), informer(PODS, "pods"));
    this.#analysis = new KubeAnalysis({
      client: options.client,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      logger: options.logger,
      registry: options.registry,
      kubeMetrics: options.kubeMetrics,
      slipwayNamespace: options.slipwayNamespace ?? "slipway-system",
    });
    this.#wire();
  }

  #wire(): void {
    const rolloutKey = (obj: KubeObject) => this.#queue.add(objectKey(obj));
    this.#rollouts.onAdd(rolloutKey);
    this.#rollouts.onUpdate((_, obj) => rolloutKey(obj));
    this.#rollouts.onDelete((obj) => {
      this.#written.delete(objectKey(obj));
      this.#metrics.forget(obj.metadata?.namespace ?? "", obj.metadata?.name ?? "");
    });
    const on = (kind: string, map: (obj: KubeObject) => void) => {
      const cache = this.#caches.get(kind);
      cache?.onAdd(map);
      cache?.onUpdate((_, obj) => map(obj));
      cache?.onDelete(map);
    };
    on(kindKey("apps/v1", "Deployment"), (d) => this.#workloadChanged(d, "Deployment"));
    on(kindKey("apps/v1", "StatefulSet"), (s) => this.#workloadChanged(s, "StatefulSet"));
    on(kindKey("apps.kruise.io/v1alpha1", "CloneSet"), (c) => this.#workloadChanged(c, "CloneSet"));
    on(kindKey("apps/v1", "ReplicaSet"), (rs) => this.#ownedBy(rs));
    on(kindKey("apps/v1", "ControllerRevision"), (cr) => this.#ownedBy(cr));
    on(kindKey("v1", "Pod"), (pod) => this.#ownedBy(pod));
  }

  /** A workload changed: wake the Rollouts that name it (and the owner of a canary Deployment). */
  #workloadChanged(obj: KubeObject, kind: string): void {
    const namespace = obj.metadata?.namespace ?? "";
    for (const r of this.#rollouts.store.byIndex(
      WORKLOAD_INDEX,
      `${namespace}/${kind}/${obj.metadata?.name ?? ""}`,
    )) {
      this.#queue.add(objectKey(r));
    }
    const owner = controllerOf(obj);
    if (owner?.kind === "Rollout" && owner.name !== undefined) this.#queue.add(`${namespace}/${owner.name}`);
  }

  /** A ReplicaSet, Pod or ControllerRevision changed: follow its controller up to the workload. */
  #ownedBy(obj: KubeObject): void {
    const owner = controllerOf(obj);
    if (owner?.name === undefined) return;
    const namespace = obj.metadata?.namespace ?? "";
    const workloadApiVersion = owner.kind === undefined ? undefined : WORKLOAD_API_VERSIONS[owner.kind];
    if (owner.kind !== undefined && workloadApiVersion !== undefined) {
      const parent = this.#caches
        .get(kindKey(workloadApiVersion, owner.kind))
        ?.store.getByName(namespace, owner.name);
      if (parent !== undefined) this.#workloadChanged(parent, owner.kind);
      return;
    }
    if (owner.kind === "ReplicaSet") {
      const rs = this.#caches.get(kindKey("apps/v1", "ReplicaSet"))?.store.getByName(namespace, owner.name);
      if (rs !== undefined) this.#ownedBy(rs);
    }
  }

  /** Every cache this controller keeps (readiness waits for all of them to have listed). */
  get informers(): readonly Informer<KubeObject>[] {
    return [this.#rollouts, ...this.#caches.values(), ...this.#analysis.informers];
  }

  /** Starts every informer (on every replica) and resolves once all have listed. */
  async startInformers(): Promise<void> {
    const all = this.informers;
    for (const informer of all) informer.start();
    await Promise.all(all.map((i) => i.waitForSync()));
    this.#log.info({ informers: all.length }, "caches synced");
  }

  /** Runs the workers until `signal` aborts (leadership lost or shutdown). */
  async run(signal: AbortSignal, concurrency = this.#o.workers ?? 4): Promise<void> {
    for (const key of this.#rollouts.store.keys()) this.#queue.add(key);
    signal.addEventListener("abort", () => this.#queue.shutDown(), { once: true });
    await runWorkers({
      queue: this.#queue,
      concurrency,
      reconcile: (key) => this.#reconcile(key),
      onError: (key, err) => {
        const { namespace, name } = splitKey(key);
        this.#log.error(
          { rollout: name, namespace, err: err instanceof Error ? err.message : String(err) },
          "reconcile failed",
        );
      },
    });
  }

  async stop(): Promise<void> {
    this.#queue.shutDown();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  #current(key: string): KubeObject | undefined {
    const cached = this.#rollouts.store.get(key);
    const written = this.#written.get(key);
    if (written === undefined) return cached;
    // The cache still holds exactly the version our last write replaced: use what we wrote.
    if (cached !== undefined && cached.metadata?.resourceVersion === written.from) return written.obj;
    this.#written.delete(key);
    return cached;
  }

  async #reportInvalid(raw: KubeObject, problems: string): Promise<void> {
    const status = invalidStatus(problems);
    const current = (raw as { status?: Record<string, unknown> }).status;
    if (current?.["phase"] === status["phase"] && current?.["message"] === status["message"]) return;
    const metadata = raw.metadata ?? {};
    await patchStatus(
      this.#o.client,
      { resource: ROLLOUTS, name: metadata.name ?? "", namespace: metadata.namespace ?? "" },
      status,
      metadata.resourceVersion ?? "",
    ).catch((err: unknown) =>
      this.#log.warn({ err: String(err) }, "could not report the invalid Rollout in its status"),
    );
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number; conflict?: boolean } | undefined> {
    const raw = this.#current(key);
    if (raw === undefined) return undefined;
    const { namespace = "", name } = splitKey(key);
    const started = performance.now();
    const base = { component: "controller", rollout: name, namespace };
    const status = (
      raw as { status?: { canaryRevision?: string; stableRevision?: string; currentStepIndex?: number } }
    ).status;
    // Lines written during the reconcile carry the revision and step it started from.
    const log = this.#log.child({
      ...base,
      revision: status?.canaryRevision ?? status?.stableRevision,
      step: status?.currentStepIndex ?? 0,
    });
    const parsed = parseRollout(raw);
    if (!parsed.ok) {
      const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
      log.warn({ problems }, "the Rollout is invalid; fix it (kubectl slipway lint shows the same problems)");
      await this.#reportInvalid(raw, problems);
      this.#reconciled("error", started);
      return undefined;
    }
    let result: ReconcileResult;
    try {
      result = await createReconciler(this.#io(key, log)).reconcile(
        rolloutObject(raw, parsed.value),
        Date.now(),
      );
    } catch (err) {
      this.#reconciled("error", started);
      throw err;
    }
    this.#reconciled(
      result.conflict === true
        ? "requeue"
        : result.requeueAfterMs === undefined
          ? "success"
          : "requeue_after",
      started,
    );
    if (result.phase !== undefined) this.#metrics.rollout(namespace, name, result.phase, result.step ?? 0);
    for (const ended of result.ended ?? []) this.#metrics.released(ended.outcome, ended.seconds);
    // Lines about the outcome carry the revision and step it ended at.
    const after = this.#log.child({
      ...base,
      revision: result.revision,
      step: result.step ?? 0,
      phase: result.phase,
    });
    for (const event of result.events ?? []) {
      const line = { reason: event.reason, type: event.type };
      if (event.type === "Warning") after.warn(line, event.message);
      else after.info(line, event.message);
    }
    if (result.conflict === true) {
      after.debug({}, "write conflict: reconciling again when the watch delivers the newer version");
      return { conflict: true };
    }
    after.debug({ requeueAfterMs: result.requeueAfterMs }, "reconciled");
    return result.requeueAfterMs === undefined
      ? undefined
      : { requeueAfterMs: Math.max(1, result.requeueAfterMs) };
  }

  /** controller-runtime's result labels: success, error, requeue (conflict), requeue_after (a timer). */
  #reconciled(result: ReconcileOutcome, startedAt: number): void {
    this.#metrics.reconciled(CONTROLLER_NAME, result, (performance.now() - startedAt) / 1000);
  }

  #io(key: string, log: Logger): ReconcileIO {
    const io = kubeReconcileIO({
      client: this.#o.client,
      workloads: new CachedWorkloadIO(this.#o.client, this.#caches, {
        write: (verb, kind, target) => {
          this.#o.writeCounter?.write(verb, kind, target);
          log.debug({ verb, kind, target }, "workload write");
        },
      }),
      recorder: this.#o.recorder,
      remember: (obj, from) => this.#written.set(key, { obj, from }),
      now: () => new Date(),
    });
    return { ...io, analysis: this.#analysis.ports };
  }
}

/** Status for a Rollout the controller cannot parse (admission normally refuses it; a CRD change may not). */
function invalidStatus(problems: string): Record<string, unknown> {
  return {
    phase: "Initializing",
    message: `the Rollout is invalid and is not acted on: ${problems}`.slice(0, 1024),
  };
}

function rolloutObject(raw: KubeObject, rollout: Rollout): RolloutObject {
  const metadata = raw.metadata ?? {};
  return {
    rollout,
    resourceVersion: metadata.resourceVersion ?? "",
    uid: metadata.uid ?? "",
    generation: metadata.generation,
    deletionTimestamp: metadata.deletionTimestamp,
    finalizers: (metadata["finalizers"] as string[] | undefined) ?? [],
    annotations: metadata.annotations ?? {},
    rawWorkflow: (raw as { status?: { workflow?: unknown } }).status?.workflow,
    raw: raw as unknown as Record<string, unknown>,
  };
}

function workloadIndex(obj: KubeObject): readonly string[] {
  const spec = (obj as { spec?: { workloadRef?: { kind?: string; name?: string } } }).spec;
  const ref = spec?.workloadRef;
  if (ref?.kind === undefined || ref.name === undefined) return [];
  return [`${obj.metadata?.namespace ?? ""}/${ref.kind}/${ref.name}`];
}
