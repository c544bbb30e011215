// An in-process stand-in for the API server, for unit tests of the edge code: real HTTP on 127.0.0.1,
// real chunked watch streams, resourceVersions, 409/410 answers, and knobs to stall or break things.
// It implements only what src/kube exercises; it is not a general Kubernetes emulator.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describePath } from "../errors.ts";
import { SharedConnectionKubeConfig } from "../client.ts";

type Json = Record<string, unknown>;

interface Target {
  readonly collection: string; // "/api/v1|configmaps"
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

interface Watcher {
  readonly target: Target;
  readonly selector: string | null;
  readonly bookmarks: boolean;
  readonly res: ServerResponse;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

interface Fault {
  readonly match: (r: RecordedRequest) => boolean;
  readonly status: number;
  readonly reason: string;
  remaining: number;
}

export type ExpireMode = "http" | "event";

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  connections = 0;
  /** Watches opened so far. */
  watchesOpened = 0;
  /** When true, new watches are accepted but never sent anything. */
  stallWatches = false;
  /** How an expired resourceVersion is reported to a watch. */
  expireMode: ExpireMode = "event";
  /** Groups treated as CRDs: strategic merge patch on them answers 415 like the real server. */
  readonly customGroups = new Set<string>(["rollouts.slipway.dev"]);

  readonly #objects = new Map<string, Json>();
  readonly #history: { rv: number; type: string; target: Target; object: Json }[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #faults: Fault[] = [];
  #rv = 100;
  #compactedThrough = 0;
  #server: Server | undefined;
  #url = "";

  get url(): string {
    return this.#url;
  }
  get resourceVersion(): number {
    return this.#rv;
  }
  get openWatches(): number {
    return this.#watchers.size;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on("connection", () => (this.connections += 1));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A kubeconfig pointing at this server over plain HTTP (client-node then needs skipTLSVerify). */
  kubeConfig(): SharedConnectionKubeConfig {
    const kc = new SharedConnectionKubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.#url, skipTLSVerify: true }],
      users: [{ name: "tester", token: "fake-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "tester" }],
      currentContext: "fake",
    });
    return kc;
  }

  /** Ends every open watch cleanly, as the server does when timeoutSeconds runs out. */
  closeWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** Forgets history so that watches from any current resourceVersion get 410 Gone. */
  compact(): void {
    this.#compactedThrough = this.#rv;
    this.#history.length = 0;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  sendBookmark(): void {
    for (const w of this.#watchers) {
      if (w.bookmarks) this.#write(w, "BOOKMARK", { metadata: { resourceVersion: String(this.#rv) } });
    }
  }

  /** The next `times` requests matching `match` are answered with `status`. */
  failNext(match: (r: RecordedRequest) => boolean, status: number, reason: string, times = 1): void {
    this.#faults.push({ match, status, reason, remaining: times });
  }

  /** Direct store access for test setup and assertions (path like a real object path). */
  seed(path: string, object: Json): Json {
    const t = parseTarget(path);
    return this.#create(t, object);
  }
  get(path: string): Json | undefined {
    return this.#objects.get(keyOf(parseTarget(path)));
  }
  mutate(path: string, change: (obj: Json) => Json): Json {
    const t = parseTarget(path);
    const current = this.#objects.get(keyOf(t));
    if (current === undefined) throw new Error(`fake apiserver: ${path} does not exist`);
    return this.#store(t, change(structuredClone(current)), "MODIFIED");
  }
  remove(path: string): void {
    const t = parseTarget(path);
    const current = this.#objects.get(keyOf(t));
    if (current === undefined) return;
    this.#objects.delete(keyOf(t));
    this.#bump(t, "DELETED", current);
  }
  list(collectionPath: string): Json[] {
    return this.#select(parseTarget(collectionPath), null);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers["content-type"],
      body: raw === "" ? undefined : (JSON.parse(raw) as unknown),
    };
    this.requests.push(record);
    const fault = this.#faults.find((f) => f.remaining > 0 && f.match(record));
    if (fault !== undefined) {
      fault.remaining -= 1;
      return status(res, fault.status, fault.reason, `injected ${fault.reason}`);
    }
    const t = parseTarget(url.pathname);
    try {
      this.#route(record, t, res);
    } catch (err) {
      status(res, 500, "InternalError", String(err));
    }
  }

  #route(r: RecordedRequest, t: Target, res: ServerResponse): void {
    const existing = t.name === undefined ? undefined : this.#objects.get(keyOf(t));
    const watch = r.query.get("watch");
    switch (r.method) {
      case "GET":
        if (t.name === undefined && (watch === "true" || watch === "1")) return this.#watch(r, t, res);
        if (t.name === undefined) return this.#listResponse(r, t, res);
        if (existing === undefined) return notFound(res, t);
        return json(res, 200, existing);
      case "POST": {
        const body = r.body as Json;
        const meta = (body.metadata ?? {}) as Json;
        const created = { ...t, name: String(meta.name ?? "") };
        if (this.#objects.has(keyOf(created)))
          return status(res, 409, "AlreadyExists", `${t.collection} "${created.name}" already exists`);
        return json(res, 201, this.#create(created, body));
      }
      case "PUT": {
        if (existing === undefined) return notFound(res, t);
        const body = r.body as Json;
        const sentRv = ((body.metadata ?? {}) as Json).resourceVersion;
        if (sentRv !== undefined && sentRv !== rvOf(existing)) return conflict(res, t);
        const next =
          t.subresource === "status"
            ? { ...existing, status: body.status }
            : { ...body, status: existing.status };
        return json(res, 200, this.#store(t, next, "MODIFIED"));
      }
      case "PATCH":
        return this.#patch(r, t, existing, res);
      case "DELETE":
        if (existing === undefined) return notFound(res, t);
        this.remove(r.path);
        return json(res, 200, existing);
      default:
        return status(res, 405, "MethodNotAllowed", r.method);
    }
  }

  #patch(r: RecordedRequest, t: Target, existing: Json | undefined, res: ServerResponse): void {
    const type = (r.contentType ?? "").split(";")[0];
    const group = t.collection.startsWith("/apis/") ? (t.collection.split("/")[2] ?? "") : "";
    if (type === "application/strategic-merge-patch+json" && this.customGroups.has(group)) {
      return status(
        res,
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    if (existing === undefined) {
      if (type !== "application/apply-patch+yaml") return notFound(res, t);
      return json(res, 201, this.#create(t, r.body as Json));
    }
    let next: Json;
    if (type === "application/json-patch+json") {
      try {
        next = applyJsonPatch(existing, r.body as JsonPatchOp[]);
      } catch {
        // What the API server answers to a failed `test` op: 422 Invalid, with no field causes.
        return status(res, 422, "Invalid", "the server rejected our request due to an error in our request");
      }
    } else {
      const body = r.body as Json;
      const sentRv = ((body.metadata ?? {}) as Json).resourceVersion;
      if (sentRv !== undefined && sentRv !== rvOf(existing)) return conflict(res, t);
      next = mergePatch(existing, body) as Json;
    }
    return json(res, 200, this.#store(t, next, "MODIFIED"));
  }

  #listResponse(r: RecordedRequest, t: Target, res: ServerResponse): void {
    const items = this.#select(t, r.query.get("labelSelector"));
    const limit = Number(r.query.get("limit") ?? "0");
    const start = Number(r.query.get("continue") ?? "0");
    const page = limit > 0 ? items.slice(start, start + limit) : items;
    const next = limit > 0 && start + limit < items.length ? String(start + limit) : undefined;
    // Like the real server, list items carry no kind/apiVersion; only the list itself does.
    json(res, 200, {
      kind: `${kindOf(t.collection.split("|")[1] ?? "")}List`,
      apiVersion: apiVersionOfCollection(t.collection),
      metadata: { resourceVersion: String(this.#rv), ...(next === undefined ? {} : { continue: next }) },
      items: page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
    });
  }

  #watch(r: RecordedRequest, t: Target, res: ServerResponse): void {
    this.watchesOpened += 1;
    const from = Number(r.query.get("resourceVersion") ?? "0");
    const expired = from !== 0 && from < this.#compactedThrough;
    if (expired && this.expireMode === "http") return status(res, 410, "Expired", "too old resource version");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const watcher: Watcher = {
      target: t,
      selector: r.query.get("labelSelector"),
      bookmarks: r.query.get("allowWatchBookmarks") === "true",
      res,
    };
    res.on("close", () => this.#watchers.delete(watcher));
    if (this.stallWatches) {
      this.#watchers.add({ ...watcher, target: { ...t, collection: "<stalled>" } });
      return;
    }
    if (expired) {
      const object = {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "Expired",
        code: 410,
        message: `too old resource version: ${from}`,
      };
      res.end(JSON.stringify({ type: "ERROR", object }) + "\n");
      return;
    }
    this.#watchers.add(watcher);
    for (const h of this.#history) {
      if (h.rv > from && matches(watcher, h.target, h.object)) this.#write(watcher, h.type, h.object);
    }
    const timeout = Number(r.query.get("timeoutSeconds") ?? "0");
    if (timeout > 0) setTimeout(() => res.end(), timeout * 1000).unref();
  }

  #write(w: Watcher, type: string, object: Json): void {
    w.res.write(JSON.stringify({ type, object }) + "\n");
  }

  #select(t: Target, selector: string | null): Json[] {
    const out: Json[] = [];
    for (const [key, obj] of this.#objects) {
      const [collection, namespace] = key.split("#");
      if (collection !== t.collection) continue;
      if (t.namespace !== undefined && namespace !== t.namespace) continue;
      if (!labelsMatch(obj, selector)) continue;
      out.push(obj);
    }
    return out;
  }

  #create(t: Target, body: Json): Json {
    const meta = (body.metadata ?? {}) as Json;
    const name = String(meta.name ?? t.name ?? "");
    const target = { ...t, name, subresource: undefined };
    const plural = t.collection.split("|")[1] ?? "";
    const object: Json = {
      ...body,
      apiVersion: apiVersionOfCollection(t.collection),
      kind: body.kind ?? kindOf(plural),
      metadata: {
        ...meta,
        name,
        ...(t.namespace === undefined ? {} : { namespace: t.namespace }),
        uid: `uid-${name}-${this.#rv + 1}`,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    };
    return this.#store(target, object, "ADDED");
  }

  #store(t: Target, object: Json, type: string): Json {
    const target = { ...t, subresource: undefined };
    this.#rv += 1;
    const stored = {
      ...object,
      metadata: { ...((object.metadata ?? {}) as Json), resourceVersion: String(this.#rv) },
    };
    this.#objects.set(keyOf(target), stored);
    this.#record(target, type, stored);
    return stored;
  }

  #bump(t: Target, type: string, object: Json): void {
    this.#rv += 1;
    const stored = {
      ...object,
      metadata: { ...((object.metadata ?? {}) as Json), resourceVersion: String(this.#rv) },
    };
    this.#record(t, type, stored);
  }

  #record(t: Target, type: string, object: Json): void {
    this.#history.push({ rv: this.#rv, type, target: t, object });
    for (const w of this.#watchers) if (matches(w, t, object)) this.#write(w, type, object);
  }
}

function parseTarget(path: string): Target {
  const p = describePath(path);
  const segments = path.split("/").filter((s) => s !== "");
  const gv = segments[0] === "api" ? `/api/${segments[1]}` : `/apis/${segments[1]}/${segments[2]}`;
  return {
    collection: `${gv}|${p.resource}`,
    namespace: p.namespace,
    name: p.name,
    subresource: p.subresource,
  };
}

function keyOf(t: Target): string {
  return `${t.collection}#${t.namespace ?? ""}#${t.name ?? ""}`;
}

function rvOf(obj: Json): unknown {
  return ((obj.metadata ?? {}) as Json).resourceVersion;
}

function apiVersionOfCollection(collection: string): string {
  const gv = collection.split("|")[0] ?? "";
  return gv.startsWith("/api/") ? gv.slice(5) : gv.slice(6);
}

function kindOf(plural: string): string {
  const known: Record<string, string> = {
    configmaps: "ConfigMap",
    leases: "Lease",
    events: "Event",
    deployments: "Deployment",
    rollouts: "Rollout",
    pods: "Pod",
  };
  return known[plural] ?? plural;
}

function matches(w: Watcher, t: Target, object: Json): boolean {
  if (w.target.collection !== t.collection) return false;
  if (w.target.namespace !== undefined && w.target.namespace !== t.namespace) return false;
  return labelsMatch(object, w.selector);
}

/** Equality-based selectors only (`a=b,c=d`, `a`), which is all the tests use. */
function labelsMatch(obj: Json, selector: string | null): boolean {
  if (selector === null || selector === "") return true;
  const labels = (((obj.metadata ?? {}) as Json).labels ?? {}) as Record<string, string>;
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return v === undefined ? k !== undefined && k in labels : labels[k ?? ""] === v;
  });
}

interface JsonPatchOp {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
}

function applyJsonPatch(doc: Json, ops: readonly JsonPatchOp[]): Json {
  const out = structuredClone(doc);
  for (const op of ops) {
    const parts = op.path
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop() ?? "";
    let parent: Record<string, unknown> = out;
    for (const p of parts) parent = (parent[p] ??= {}) as Record<string, unknown>;
    if (op.op === "remove") delete parent[last];
    else if (op.op === "test" && JSON.stringify(parent[last]) !== JSON.stringify(op.value))
      throw new Error(`test failed at ${op.path}`);
    else if (op.op === "add" || op.op === "replace") parent[last] = op.value;
  }
  return out;
}

/** RFC 7386. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code });
}

function notFound(res: ServerResponse, t: Target): void {
  status(res, 404, "NotFound", `${t.collection.split("|")[1]} "${t.name}" not found`);
}

function conflict(res: ServerResponse, t: Target): void {
  const plural = t.collection.split("|")[1];
  status(
    res,
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${plural} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}
