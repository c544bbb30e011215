// The connection to the API server: which kubeconfig, which credentials, and one pooled keep-alive
// connection set shared by every call (generated clients, raw requests and watch streams alike).

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from "@kubernetes/client-node";
import type { ApiType, Configuration } from "@kubernetes/client-node";
import { apiErrorFrom, unreachableError, verbFor } from "./errors.ts";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * client-node 2.0.1 builds a fresh undici Agent inside `applySecurityAuthentication` for every request,
 * so each call opens a new TCP+TLS connection (measured: 5 sequential calls, 5 connections). This
 * subclass keeps the first Agent per cluster/user and hands it to every later request, which gives
 * real keep-alive reuse. Rotating client certificates from exec plugins are not picked up by the
 * cached Agent; token-based auth (in-cluster, exec tokens) is unaffected because tokens are headers.
 */
export class SharedConnectionKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return; // no TLS options: undici's global keep-alive dispatcher is used
    const key = JSON.stringify([this.getCurrentCluster()?.name ?? "", this.getCurrentUser()?.name ?? ""]);
    const shared = this.#dispatchers.get(key);
    if (shared === undefined) {
      this.#dispatchers.set(key, fresh);
      return;
    }
    context.setDispatcher(shared);
    // The fresh Agent never connected; closing it releases nothing but keeps the books clean.
    fresh.close().catch(() => undefined);
  }

  /**
   * Drops the pooled connections at once (in-flight requests fail) so the next request dials anew.
   * For a connection that went silent: with HTTP/2 every request shares it, so re-watching over the
   * same dead connection would hang again until the OS's TCP keepalive gives up (minutes).
   */
  resetConnections(): void {
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    for (const d of all) d.destroy().catch(() => undefined);
  }

  /** Closes the pooled connections (in-flight watches end). */
  async closeConnections(): Promise<void> {
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(all.map((d) => d.close().catch(() => undefined)));
  }
}

export type KubeConfigSource = "flag" | "env" | "in-cluster" | "home";

export interface LoadKubeConfigOptions {
  /** `--kubeconfig` flag; wins over everything else. */
  readonly kubeconfig?: string;
  /** `--context`; defaults to the file's current-context. */
  readonly context?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prefix for the service-account files (client-node's `loadFromCluster(pathPrefix)`); "" in a pod. */
  readonly inClusterRoot?: string;
  readonly home?: string;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Loads credentials in controller-runtime's order: flag, $KUBECONFIG, in-cluster, ~/.kube/config. */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): {
  readonly kc: SharedConnectionKubeConfig;
  readonly source: KubeConfigSource;
} {
  const env = options.env ?? process.env;
  const kc = new SharedConnectionKubeConfig();
  const inClusterRoot = options.inClusterRoot ?? "";
  const homeConfig = join(options.home ?? homedir(), ".kube", "config");
  let source: KubeConfigSource;
  if (options.kubeconfig !== undefined && options.kubeconfig !== "") {
    if (!existsSync(options.kubeconfig)) {
      throw new Error(
        `kubeconfig file ${options.kubeconfig} (from --kubeconfig) does not exist; fix the path`,
      );
    }
    kc.loadFromFile(options.kubeconfig);
    source = "flag";
  } else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== "") {
    // Same rule as kubectl: a path list, the first file wins on conflicts, the rest are merged in.
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== "");
    const missing = files.filter((f) => !existsSync(f));
    if (files.length === 0 || missing.length === files.length) {
      throw new Error(`no kubeconfig file named in $KUBECONFIG exists (${env.KUBECONFIG}); fix KUBECONFIG`);
    }
    const present = files.filter((f) => existsSync(f));
    kc.loadFromFile(present[0] ?? "");
    for (const file of present.slice(1)) mergeFirstWins(kc, file);
    source = "env";
  } else if (
    env.KUBERNETES_SERVICE_HOST !== undefined &&
    existsSync(`${inClusterRoot}${SERVICE_ACCOUNT_DIR}/token`)
  ) {
    kc.loadFromCluster(inClusterRoot);
    source = "in-cluster";
  } else if (existsSync(homeConfig)) {
    kc.loadFromFile(homeConfig);
    source = "home";
  } else {
    throw new Error(
      "no Kubernetes credentials found: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account",
    );
  }
  if (options.context !== undefined && options.context !== "") {
    if (kc.getContextObject(options.context) === null) {
      throw new Error(
        `context "${options.context}" is not in the kubeconfig (${source}); pick one of: ${contextNames(kc)}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new Error(
      `the kubeconfig (${source}) has no usable current context ("${kc.getCurrentContext()}"); set current-context or pass --context (${contextNames(kc)})`,
    );
  }
  return { kc, source };
}

/** kubectl's merge rule: an entry whose name already exists is ignored (client-node would throw). */
function mergeFirstWins(kc: KubeConfig, file: string): void {
  const more = new KubeConfig();
  more.loadFromFile(file);
  const has = <T extends { name: string }>(list: readonly T[], name: string) =>
    list.some((x) => x.name === name);
  const fresh = new KubeConfig();
  fresh.loadFromOptions({
    clusters: more.getClusters().filter((c) => !has(kc.getClusters(), c.name)),
    users: more.getUsers().filter((u) => !has(kc.getUsers(), u.name)),
    contexts: more.getContexts().filter((c) => !has(kc.getContexts(), c.name)),
    currentContext: kc.getCurrentContext(),
  });
  kc.mergeConfig(fresh, true);
}

function contextNames(kc: KubeConfig): string {
  const names = kc.getContexts().map((c) => c.name);
  return names.length === 0 ? "none defined" : names.join(", ");
}

export type HttpVerb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly method: HttpVerb;
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Serialised as JSON (JSON is valid YAML, so apply-patch bodies go the same way). */
  readonly body?: unknown;
  /** Defaults to application/json when there is a body. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Whole-request timeout; default 30 s. Streams have none (the informer's watchdog guards them). */
  readonly timeoutMs?: number;
}

export interface ResponseInfo {
  readonly method: HttpVerb;
  readonly path: string;
  /** 0 when the server could not be reached. */
  readonly status: number;
  readonly durationMs: number;
}

/** What the rest of src/kube needs from a connection; tests may substitute their own. */
export interface ApiTransport {
  request<T = unknown>(options: RequestOptions): Promise<T>;
  /** Opens a streaming GET (a watch) and resolves once the 200 headers are in. */
  openStream(options: RequestOptions): Promise<ReadableStream<Uint8Array>>;
  /** Optional: abandon pooled connections because one looks dead (a watch went silent). */
  resetConnections?(): void;
}

export interface KubeClientOptions {
  /** Called after every raw request: counts API calls for metrics and benches. */
  readonly onResponse?: (info: ResponseInfo) => void;
  readonly userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Raw, typed-error requests plus the generated API clients, all over one connection pool. */
export class KubeClient implements ApiTransport {
  readonly kc: SharedConnectionKubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #options: KubeClientOptions;

  constructor(kc: SharedConnectionKubeConfig, options: KubeClientOptions = {}) {
    this.kc = kc;
    this.#options = options;
  }

  /** A generated client (CoreV1Api, AppsV1Api, …) sharing this client's connections. */
  api<T extends ApiType>(apiClass: new (config: Configuration) => T): T {
    return this.kc.makeApiClient(apiClass);
  }

  resetConnections(): void {
    this.kc.resetConnections();
  }

  /** The API server URL of the current context. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? "";
  }

  async request<T = unknown>(options: RequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)));
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    const response = await this.#send(options, signal, false);
    const text = await response.body.text();
    if (text === "") return undefined as T;
    return JSON.parse(text) as T;
  }

  async openStream(options: RequestOptions): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send(options, options.signal, true);
    const stream = response.body.stream();
    if (stream === null) throw unreachableError(new Error("response had no body"), "watch", options.path);
    return stream;
  }

  async #send(options: RequestOptions, signal: AbortSignal | undefined, watch: boolean) {
    const verb = verbFor(options.method, options.path, watch);
    const context = new RequestContext(this.#url(options), options.method);
    context.setHeaderParam("Accept", "application/json");
    context.setHeaderParam("User-Agent", this.#options.userAgent ?? "slipway/0.1.0");
    if (options.body !== undefined) {
      context.setHeaderParam("Content-Type", options.contentType ?? "application/json");
      context.setBody(JSON.stringify(options.body));
    }
    if (signal !== undefined) context.setSignal(signal);
    const started = performance.now();
    const report = (status: number) =>
      this.#options.onResponse?.({
        method: options.method,
        path: options.path,
        status,
        durationMs: performance.now() - started,
      });
    try {
      await this.kc.applySecurityAuthentication(context);
    } catch (err) {
      report(0);
      throw unreachableError(err, verb, options.path);
    }
    let response;
    try {
      response = await this.#http.send(context).toPromise();
    } catch (err) {
      report(0);
      throw unreachableError(err, verb, options.path);
    }
    report(response.httpStatusCode);
    if (response.httpStatusCode >= 200 && response.httpStatusCode < 300) return response;
    const text = await response.body.text().catch(() => "");
    throw apiErrorFrom(response.httpStatusCode, text, verb, options.path);
  }

  #url(options: RequestOptions): string {
    const url = new URL(this.server.replace(/\/+$/, "") + options.path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }
}

/** Loads the kubeconfig and returns a ready client. */
export function createKubeClient(
  load: LoadKubeConfigOptions = {},
  options: KubeClientOptions = {},
): { readonly client: KubeClient; readonly source: KubeConfigSource } {
  const { kc, source } = loadKubeConfig(load);
  return { client: new KubeClient(kc, options), source };
}
