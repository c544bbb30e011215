// LIST then WATCH for one collection, kept in an indexed in-memory store. Resumes from the last
// resourceVersion, asks for bookmarks, re-lists on 410 Gone, backs off on errors, and restarts a watch
// that went silent (half-open TCP connections otherwise stall informers forever). It never polls: after
// the LIST, changes arrive only through the watch.

import { Backoff, DEFAULT_BACKOFF, sleep } from "./backoff.ts";
import type { BackoffPolicy } from "./backoff.ts";
import type { ApiTransport, QueryValue } from "./client.ts";
import { ApiError, describeTarget } from "./errors.ts";
import { SILENT_LOGGER, errorFields } from "./log.ts";
import type { KubeLogger } from "./log.ts";
import { NOOP_INFORMER_METRICS } from "./metrics.ts";
import type { InformerMetrics, WatchRestartReason } from "./metrics.ts";
import { objectKey } from "./resources.ts";
import type { KubeList, KubeObject } from "./resources.ts";
import { Store } from "./store.ts";
import type { IndexFn, ReadonlyStore } from "./store.ts";
import { watchEvents } from "./watch-stream.ts";

export interface InformerOptions<T extends KubeObject> {
  readonly transport: ApiTransport;
  /** Collection path, e.g. `collectionPath(DEPLOYMENTS, "shop")` or `/apis/apps/v1/deployments`. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly indexers?: Readonly<Record<string, IndexFn<T>>>;
  /** Applied before caching; the default drops metadata.managedFields (often half an object's size). */
  readonly transform?: (obj: T) => T;
  /** Server-side watch timeout; each watch uses a random value between this and twice this. Default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Restart a watch that delivered nothing, not even a bookmark, for this long. Default 150 s. */
  readonly stallTimeoutMs?: number;
  /** A watch that ends this soon with no events is treated as suspect and re-listed. Default 2 s. */
  readonly quickCloseMs?: number;
  /** Page size for LIST. Default 500. */
  readonly pageSize?: number;
  readonly backoff?: BackoffPolicy;
  /** Re-deliver every cached object to update handlers this often (in memory; no API calls). */
  readonly resyncMs?: number;
  readonly logger?: KubeLogger;
  readonly metrics?: InformerMetrics;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

type WatchEnd =
  | { readonly kind: "stopped" }
  | { readonly kind: "closed"; readonly events: number; readonly ms: number }
  | { readonly kind: "expired" }
  | { readonly kind: "stalled" }
  | { readonly kind: "error"; readonly error: unknown };

const DEFAULT_STALL_MS = 150_000;

function dropManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export class Informer<T extends KubeObject> {
  readonly #o: InformerOptions<T>;
  readonly #store: Store<T>;
  readonly #log: KubeLogger;
  readonly #metrics: InformerMetrics;
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  readonly #adds: AddHandler<T>[] = [];
  readonly #updates: UpdateHandler<T>[] = [];
  readonly #deletes: DeleteHandler<T>[] = [];
  readonly #synced: Promise<void>;
  #markSynced: () => void = () => {};
  #hasSynced = false;
  #resourceVersion = "";
  #running: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(options: InformerOptions<T>) {
    this.#o = options;
    this.#store = new Store<T>(options.indexers);
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#metrics = options.metrics ?? NOOP_INFORMER_METRICS;
    this.#backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  get store(): ReadonlyStore<T> {
    return this.#store;
  }

  /** The last resourceVersion seen (from the LIST, an event or a bookmark). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** Resolves after the first LIST has been applied (or immediately on stop, so callers never hang). */
  waitForSync(): Promise<void> {
    return Promise.race([
      this.#synced,
      new Promise<void>((r) => this.#stop.signal.addEventListener("abort", () => r())),
    ]);
  }

  onAdd(handler: AddHandler<T>): () => void {
    return register(this.#adds, handler);
  }
  onUpdate(handler: UpdateHandler<T>): () => void {
    return register(this.#updates, handler);
  }
  onDelete(handler: DeleteHandler<T>): () => void {
    return register(this.#deletes, handler);
  }

  /** Starts the list/watch loop in the background; idempotent. */
  start(): void {
    if (this.#running !== undefined || this.#stop.signal.aborted) return;
    this.#running = this.#loop();
    if (this.#o.resyncMs !== undefined && this.#o.resyncMs > 0) {
      this.#resync = setInterval(() => this.#resyncAll(), this.#o.resyncMs);
      this.#resync.unref();
    }
  }

  /** Ends the watch and the loop; resolves once nothing is running. */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#resync !== undefined) clearInterval(this.#resync);
    await this.#running;
  }

  async #loop(): Promise<void> {
    let needList = true;
    const target = describeTarget(this.#o.path);
    while (!this.#stop.signal.aborted) {
      if (needList) {
        try {
          await this.#list();
          needList = false;
        } catch (err) {
          if (this.#stop.signal.aborted) return;
          const delay = this.#backoff.next();
          this.#log.warn(
            { resource: target, retryInMs: delay, ...errorFields(err) },
            `listing ${target} failed`,
          );
          await sleep(delay, this.#stop.signal);
          continue;
        }
      }
      const end = await this.#watch();
      switch (end.kind) {
        case "stopped":
          return;
        case "closed": {
          const quick = end.events === 0 && end.ms < (this.#o.quickCloseMs ?? 2000);
          this.#restarted("closed");
          if (quick) {
            // Some servers end a watch from a stale resourceVersion without a 410; list again to be sure.
            needList = true;
            await sleep(this.#backoff.next(), this.#stop.signal);
          } else {
            this.#backoff.reset();
          }
          break;
        }
        case "expired":
          this.#restarted("expired");
          this.#log.info(
            { resource: target, resourceVersion: this.#resourceVersion },
            `watch of ${target} expired; listing again`,
          );
          needList = true;
          break;
        case "stalled":
          this.#restarted("stalled");
          // A silent watch usually means a half-open connection, which every request shares under
          // HTTP/2: dial a fresh one rather than re-watch into the same hole.
          this.#o.transport.resetConnections?.();
          this.#log.warn(
            { resource: target, stallMs: this.#stallMs },
            `watch of ${target} delivered nothing for too long; reconnecting`,
          );
          break;
        case "error": {
          this.#restarted("error");
          // Refusals (403, 404: RBAC or a missing CRD) may mean our view is wrong: list again once they pass.
          const status = end.error instanceof ApiError ? end.error.status : 0;
          if (status >= 400 && status < 500 && status !== 429) needList = true;
          const delay = this.#backoff.next();
          this.#log.warn(
            { resource: target, retryInMs: delay, ...errorFields(end.error) },
            `watch of ${target} failed`,
          );
          await sleep(delay, this.#stop.signal);
          break;
        }
        default: {
          const never: never = end;
          throw new Error(`unhandled watch end ${String(never)}`);
        }
      }
    }
  }

  get #stallMs(): number {
    return this.#o.stallTimeoutMs ?? DEFAULT_STALL_MS;
  }

  #restarted(reason: WatchRestartReason): void {
    this.#metrics.watchRestart(reason);
  }

  #selectors(): Record<string, QueryValue> {
    return { labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector };
  }

  async #list(): Promise<void> {
    this.#metrics.relist();
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.#o.transport.request<KubeList<T>>({
        method: "GET",
        path: this.#o.path,
        query: { ...this.#selectors(), limit: this.#o.pageSize ?? 500, continue: continueToken },
        signal: this.#stop.signal,
      });
      // LIST items carry no kind/apiVersion; restore them so cached objects look like watched ones.
      const kind = page.kind?.endsWith("List") === true ? page.kind.slice(0, -4) : undefined;
      for (const item of page.items ?? []) {
        const typed = {
          ...item,
          kind: item.kind ?? kind,
          apiVersion: item.apiVersion ?? page.apiVersion,
        } as T;
        const obj = this.#transform(typed);
        fresh.set(objectKey(obj), obj);
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue === "" ? undefined : page.metadata?.continue;
    } while (continueToken !== undefined && !this.#stop.signal.aborted);
    if (this.#stop.signal.aborted) return;
    this.#replace(fresh);
    this.#resourceVersion = resourceVersion;
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
  }

  /** Swaps in a fresh LIST, telling handlers only about real differences. */
  #replace(fresh: Map<string, T>): void {
    for (const key of this.#store.keys()) {
      if (fresh.has(key)) continue;
      const gone = this.#store.delete(key);
      if (gone !== undefined) this.#emit(this.#deletes, (h) => h(gone));
    }
    for (const obj of fresh.values()) this.#apply(obj);
  }

  #apply(obj: T): void {
    const old = this.#store.set(obj);
    if (old === undefined) this.#emit(this.#adds, (h) => h(obj));
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
      this.#emit(this.#updates, (h) => h(old, obj));
  }

  async #watch(): Promise<WatchEnd> {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.#stop.signal.addEventListener("abort", onStop);
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.#stallMs);
      watchdog.unref();
    };
    const base = this.#o.watchTimeoutSeconds ?? 300;
    const started = performance.now();
    let events = 0;
    feed(); // also guards a request whose response headers never come
    try {
      const stream = await this.#o.transport.openStream({
        method: "GET",
        path: this.#o.path,
        query: {
          ...this.#selectors(),
          watch: "true",
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: "true",
          timeoutSeconds: Math.round(base * (1 + Math.random())),
        },
        signal: abort.signal,
      });
      for await (const event of watchEvents(stream)) {
        feed();
        events += 1;
        this.#metrics.watchEvent();
        if (event.type === "ERROR") {
          const code = event.object.code ?? 0;
          if (code === 410 || event.object.reason === "Expired" || event.object.reason === "Gone")
            return { kind: "expired" };
          return {
            kind: "error",
            error: new ApiError({
              status: code,
              reason: event.object.reason ?? "Unknown",
              serverMessage: event.object.message ?? "watch error",
              verb: "watch",
              path: this.#o.path,
            }),
          };
        }
        const rv = event.object.metadata?.resourceVersion;
        if (rv !== undefined && rv !== "") this.#resourceVersion = rv;
        if (event.type === "BOOKMARK") continue;
        const obj = this.#transform(event.object as T);
        if (event.type === "DELETED") {
          const gone = this.#store.delete(objectKey(obj));
          this.#emit(this.#deletes, (h) => h(gone ?? obj));
        } else {
          this.#apply(obj);
        }
      }
      return { kind: "closed", events, ms: performance.now() - started };
    } catch (err) {
      if (this.#stop.signal.aborted) return { kind: "stopped" };
      if (stalled) return { kind: "stalled" };
      if (err instanceof ApiError && (err.status === 410 || err.reason === "Expired"))
        return { kind: "expired" };
      return { kind: "error", error: err };
    } finally {
      clearTimeout(watchdog);
      this.#stop.signal.removeEventListener("abort", onStop);
      abort.abort(); // releases the response body if we left the loop early
    }
  }

  #transform(obj: T): T {
    return (this.#o.transform ?? dropManagedFields)(obj);
  }

  #resyncAll(): void {
    for (const key of this.#store.keys()) {
      const obj = this.#store.get(key);
      if (obj !== undefined) this.#emit(this.#updates, (h) => h(obj, obj));
    }
  }

  /** Handlers should only enqueue; one that throws (or rejects) is logged and must not stop the others. */
  #emit<H>(handlers: readonly H[], call: (h: H) => unknown): void {
    for (const handler of handlers) {
      try {
        const result = call(handler);
        if (result instanceof Promise) result.catch((err: unknown) => this.#handlerFailed(err));
      } catch (err) {
        this.#handlerFailed(err);
      }
    }
  }

  #handlerFailed(err: unknown): void {
    this.#log.error(
      { resource: describeTarget(this.#o.path), ...errorFields(err) },
      "an informer event handler failed",
    );
  }
}

function register<H>(list: H[], handler: H): () => void {
  list.push(handler);
  return () => {
    const i = list.indexOf(handler);
    if (i >= 0) list.splice(i, 1);
  };
}
