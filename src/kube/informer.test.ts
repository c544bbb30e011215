import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeClient } from "./client.ts";
import { Informer } from "./informer.ts";
import type { InformerOptions } from "./informer.ts";
import type { InformerMetrics, WatchRestartReason } from "./metrics.ts";
import { CONFIGMAPS, collectionPath } from "./resources.ts";
import type { KubeObject } from "./resources.ts";
import { labelIndex } from "./store.ts";
import { FakeApiServer } from "./testing/fake-apiserver.ts";
import { waitFor } from "./testing/wait.ts";

interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>;
}

const NS_PATH = collectionPath(CONFIGMAPS, "shop");
const cmPath = (name: string, ns = "shop") => `${collectionPath(CONFIGMAPS, ns)}/${name}`;
const FAST_BACKOFF = { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 };

let server: FakeApiServer;
let informers: Informer<ConfigMap>[];

beforeEach(async () => {
  server = new FakeApiServer();
  informers = [];
  await server.start();
});
afterEach(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await server.stop();
});

function recordEvents(informer: Informer<ConfigMap>): string[] {
  const events: string[] = [];
  informer.onAdd((o) => events.push(`add ${o.metadata?.name} ${JSON.stringify(o.data ?? {})}`));
  informer.onUpdate((a, b) =>
    events.push(
      `update ${b.metadata?.name} ${JSON.stringify(a.data ?? {})}->${JSON.stringify(b.data ?? {})}`,
    ),
  );
  informer.onDelete((o) => events.push(`delete ${o.metadata?.name}`));
  return events;
}

function restarts() {
  const seen: WatchRestartReason[] = [];
  let relists = 0;
  const metrics: InformerMetrics = {
    relist: () => (relists += 1),
    watchRestart: (r) => seen.push(r),
    watchEvent: () => {},
  };
  return { metrics, seen, relists: () => relists };
}

function informer(extra: Partial<InformerOptions<ConfigMap>> = {}) {
  const inf = new Informer<ConfigMap>({
    transport: new KubeClient(server.kubeConfig()),
    path: NS_PATH,
    backoff: FAST_BACKOFF,
    quickCloseMs: 20, // tests end watches after ~50 ms on purpose; only the quick-close test wants more
    ...extra,
  });
  informers.push(inf);
  return inf;
}

const lists = () => server.requests.filter((r) => r.method === "GET" && r.query.get("watch") === null);
const watches = () => server.requests.filter((r) => r.query.get("watch") === "true");

describe("Informer", () => {
  it("lists, reports adds, then watches from the list's resourceVersion with bookmarks", async () => {
    server.seed(cmPath("a"), {
      metadata: { name: "a", managedFields: [{ manager: "kubectl" }] },
      data: { v: "1" },
    });
    server.seed(cmPath("b"), { metadata: { name: "b" }, data: { v: "1" } });
    const inf = informer();
    const events = recordEvents(inf);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(events.sort()).toEqual(['add a {"v":"1"}', 'add b {"v":"1"}']);
    const a = inf.store.getByName("shop", "a");
    expect(a?.kind).toBe("ConfigMap");
    expect(a?.apiVersion).toBe("v1");
    expect(a?.metadata?.managedFields).toBeUndefined();
    await waitFor(() => watches().length === 1, "the watch to open");
    const w = watches()[0];
    expect(w?.query.get("resourceVersion")).toBe(String(server.resourceVersion));
    expect(w?.query.get("allowWatchBookmarks")).toBe("true");
    const timeout = Number(w?.query.get("timeoutSeconds"));
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThanOrEqual(600);
  });

  it("delivers add, update and delete from the watch and keeps the store in step", async () => {
    const inf = informer();
    const events = recordEvents(inf);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    server.seed(cmPath("web"), { metadata: { name: "web" }, data: { v: "1" } });
    server.mutate(cmPath("web"), (o) => ({ ...o, data: { v: "2" } }));
    server.remove(cmPath("web"));
    await waitFor(() => events.length === 3, "three events", { describe: () => events });
    expect(events).toEqual(['add web {"v":"1"}', 'update web {"v":"1"}->{"v":"2"}', "delete web"]);
    expect(inf.store.size).toBe(0);
  });

  it("resumes from the last resourceVersion when the server closes the watch, without listing again", async () => {
    const inf = informer();
    const events = recordEvents(inf);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    server.seed(cmPath("one"), { metadata: { name: "one" } });
    await waitFor(() => events.length === 1, "the first add");
    const seenRv = inf.resourceVersion;
    // Let the watch live past the quick-close threshold, then end it as a server timeout would.
    await new Promise((r) => setTimeout(r, 50));
    server.closeWatches();
    server.seed(cmPath("two"), { metadata: { name: "two" } }); // happens while disconnected
    await waitFor(() => events.length === 2, "the add made while disconnected", { describe: () => events });
    expect(events[1]).toBe("add two {}");
    expect(watches()[1]?.query.get("resourceVersion")).toBe(seenRv);
    expect(lists()).toHaveLength(1);
  });

  it("moves its resourceVersion forward on bookmarks without telling handlers", async () => {
    const inf = informer();
    const events = recordEvents(inf);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    server.seed(collectionPath(CONFIGMAPS, "elsewhere") + "/x", { metadata: { name: "x" } }); // bumps the global rv
    server.sendBookmark();
    await waitFor(
      () => inf.resourceVersion === String(server.resourceVersion),
      "the bookmark's resourceVersion",
    );
    expect(events).toEqual([]);
  });

  it.each(["event", "http"] as const)(
    "re-lists after 410 Gone (%s) and reports what changed while it was away",
    async (mode) => {
      server.expireMode = mode;
      server.seed(cmPath("stays"), { metadata: { name: "stays" }, data: { v: "1" } });
      server.seed(cmPath("goes"), { metadata: { name: "goes" } });
      const { metrics, seen, relists } = restarts();
      const inf = informer({ metrics });
      const events = recordEvents(inf);
      inf.start();
      await inf.waitForSync();
      await waitFor(() => server.openWatches === 1, "the watch to open");
      await new Promise((r) => setTimeout(r, 50));
      server.closeWatches();
      // Before it reconnects, history moves on and is compacted away.
      server.remove(cmPath("goes"));
      server.mutate(cmPath("stays"), (o) => ({ ...o, data: { v: "2" } }));
      server.seed(cmPath("new"), { metadata: { name: "new" } });
      server.compact();
      await waitFor(() => events.length >= 5, "the changes to arrive", { describe: () => events });
      expect(events.slice(2).sort()).toEqual([
        "add new {}",
        "delete goes",
        'update stays {"v":"1"}->{"v":"2"}',
      ]);
      expect(seen).toContain("expired");
      expect(relists()).toBe(2);
      expect(inf.store.keys().sort()).toEqual(["shop/new", "shop/stays"]);
    },
  );

  it("backs off and re-watches from the same resourceVersion after a server error", async () => {
    const { metrics, seen } = restarts();
    const inf = informer({ metrics });
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    const rv = inf.resourceVersion;
    server.failNext((r) => r.query.get("watch") === "true", 500, "InternalError", 3);
    await new Promise((r) => setTimeout(r, 50));
    server.closeWatches();
    await waitFor(() => server.openWatches === 1, "the watch to reopen after three failures", {
      timeoutMs: 3000,
    });
    expect(seen.filter((r) => r === "error")).toHaveLength(3);
    expect(
      watches()
        .slice(1)
        .map((w) => w.query.get("resourceVersion")),
    ).toEqual([rv, rv, rv, rv]);
    expect(lists()).toHaveLength(1);
  });

  it("retries a failing LIST with backoff until it succeeds", async () => {
    server.seed(cmPath("a"), { metadata: { name: "a" } });
    server.failNext((r) => r.query.get("watch") === null, 503, "ServiceUnavailable", 2);
    const inf = informer();
    inf.start();
    await inf.waitForSync();
    expect(lists()).toHaveLength(3);
    expect(inf.store.keys()).toEqual(["shop/a"]);
  });

  it("re-lists after a 403 on the watch (permissions may have changed what it can see)", async () => {
    const inf = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    server.failNext((r) => r.query.get("watch") === "true", 403, "Forbidden", 1);
    await new Promise((r) => setTimeout(r, 50));
    server.closeWatches();
    await waitFor(() => lists().length === 2 && server.openWatches === 1, "a re-list and a new watch");
  });

  it("restarts a watch that delivers nothing, not even a bookmark, for longer than the stall timeout", async () => {
    server.stallWatches = true;
    const { metrics, seen } = restarts();
    const transport = new KubeClient(server.kubeConfig());
    let resets = 0;
    transport.resetConnections = () => {
      resets += 1;
      KubeClient.prototype.resetConnections.call(transport);
    };
    const inf = informer({ metrics, stallTimeoutMs: 300, transport });
    const events = recordEvents(inf);
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.watchesOpened === 1, "the first (stalled) watch");
    server.stallWatches = false;
    await waitFor(() => seen.includes("stalled") && server.openWatches === 1, "the watchdog to reconnect", {
      timeoutMs: 3000,
    });
    server.seed(cmPath("after"), { metadata: { name: "after" } });
    await waitFor(() => events.length === 1, "events on the new watch");
    expect(lists()).toHaveLength(1);
    // Every stall abandoned the suspect connection instead of reusing it (a slow machine may see the new, quiet
    // watch stall once more before the event arrives).
    const stalls = seen.filter((r) => r === "stalled").length;
    expect(stalls).toBeGreaterThanOrEqual(1);
    expect(resets).toBe(stalls);
  });

  it("keeps a quiet but healthy watch: bookmarks feed the watchdog, and it never polls", async () => {
    const { metrics, seen } = restarts();
    const inf = informer({ metrics, stallTimeoutMs: 300 });
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    const timer = setInterval(() => server.sendBookmark(), 100);
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(timer);
    expect(seen).toEqual([]);
    expect(server.requests).toHaveLength(2); // one LIST, one WATCH in a second of quiet
  });

  it("re-lists when a watch ends at once with no events (stale resourceVersion without a 410)", async () => {
    const { metrics, relists } = restarts();
    const inf = informer({ metrics, quickCloseMs: 2000 });
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    server.closeWatches();
    await waitFor(() => relists() === 2, "a second LIST");
  });

  it("pages through a long LIST", async () => {
    for (const n of ["a", "b", "c", "d", "e"]) server.seed(cmPath(n), { metadata: { name: n } });
    const inf = informer({ pageSize: 2 });
    inf.start();
    await inf.waitForSync();
    expect(lists().map((r) => r.query.get("continue"))).toEqual([null, "2", "4"]);
    expect(inf.store.size).toBe(5);
  });

  it("honours namespace scope, label selector and indexers", async () => {
    server.seed(cmPath("web-1"), { metadata: { name: "web-1", labels: { app: "web", tier: "a" } } });
    server.seed(cmPath("web-2"), { metadata: { name: "web-2", labels: { app: "web", tier: "b" } } });
    server.seed(cmPath("db"), { metadata: { name: "db", labels: { app: "db" } } });
    server.seed(cmPath("web-9", "other"), { metadata: { name: "web-9", labels: { app: "web" } } });
    const inf = informer({ labelSelector: "app=web", indexers: { tier: labelIndex("tier") } });
    inf.start();
    await inf.waitForSync();
    expect(inf.store.keys().sort()).toEqual(["shop/web-1", "shop/web-2"]);
    expect(inf.store.byIndex("tier", "b").map((o) => o.metadata?.name)).toEqual(["web-2"]);
    await waitFor(() => server.openWatches === 1, "the watch to open");
    expect(watches()[0]?.query.get("labelSelector")).toBe("app=web");
    server.mutate(cmPath("web-2"), (o) => ({
      ...o,
      metadata: { ...(o.metadata as object), labels: { app: "web", tier: "a" } },
    }));
    await waitFor(() => inf.store.byIndex("tier", "a").length === 2, "the index to follow the update");
    expect(inf.store.byIndex("tier", "b")).toEqual([]);
    expect(() => inf.store.byIndex("nope", "x")).toThrow('no index named "nope"');
  });

  it("watches all namespaces from a cluster-wide path", async () => {
    server.seed(cmPath("a", "one"), { metadata: { name: "a" } });
    server.seed(cmPath("a", "two"), { metadata: { name: "a" } });
    const inf = informer({ path: collectionPath(CONFIGMAPS) });
    inf.start();
    await inf.waitForSync();
    expect(inf.store.keys().sort()).toEqual(["one/a", "two/a"]);
    expect(inf.store.list("two").map((o) => o.metadata?.namespace)).toEqual(["two"]);
  });

  it("keeps calling other handlers when one throws or rejects", async () => {
    const inf = informer();
    const seen: string[] = [];
    inf.onAdd(() => {
      throw new Error("sync boom");
    });
    inf.onAdd(async () => {
      throw new Error("async boom");
    });
    inf.onAdd((o) => seen.push(o.metadata?.name ?? ""));
    server.seed(cmPath("a"), { metadata: { name: "a" } });
    inf.start();
    await inf.waitForSync();
    expect(seen).toEqual(["a"]);
  });

  it("stop() closes the watch and ends the loop", async () => {
    const inf = informer();
    inf.start();
    await inf.waitForSync();
    await waitFor(() => server.openWatches === 1, "the watch to open");
    await inf.stop();
    await waitFor(() => server.openWatches === 0, "the server to see the watch closed");
    const before = server.requests.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests.length).toBe(before);
  });
});
