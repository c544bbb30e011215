// Kubernetes Events (events.k8s.io/v1) for state changes. Identical events for one object are folded
// into a series (one create, then count/lastObservedTime patches) instead of piling up new objects,
// writes for one series are serialised, and nothing here ever throws into the caller: an Event is
// worth a log line when it cannot be written, never a failed reconcile.

import { hostname } from "node:os";
import { GROUP } from "../api/names.ts";
import type { ApiTransport } from "./client.ts";
import { isNotFound } from "./errors.ts";
import { SILENT_LOGGER, errorFields } from "./log.ts";
import type { KubeLogger } from "./log.ts";
import { formatMicroTime } from "./micro-time.ts";
import { EVENTS, collectionPath, objectPath } from "./resources.ts";
import type { KubeObject } from "./resources.ts";

export type EventType = "Normal" | "Warning";

/** What the event is about. A KubeObject with apiVersion, kind and metadata.name works as is. */
export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
}

export interface EventRecorderOptions {
  readonly transport: ApiTransport;
  /** A qualified name, e.g. `rollouts.slipway.dev/controller`. */
  readonly reportingController?: string;
  /** This process (pod name). */
  readonly reportingInstance?: string;
  /** Repeats within this window join the existing series. Default 10 minutes. */
  readonly seriesWindowMs?: number;
  /** Series remembered at most; the oldest is forgotten first. Default 4096. */
  readonly maxSeries?: number;
  readonly logger?: KubeLogger;
  readonly now?: () => Date;
}

interface Series {
  readonly namespace: string;
  readonly subjectName: string;
  readonly body: Record<string, unknown>;
  name: string | undefined;
  count: number;
  written: number;
  lastObserved: Date;
  chain: Promise<void>;
}

const MAX_NOTE_BYTES = 1024;
const MAX_FIELD = 128;

export function subjectOf(obj: KubeObject): EventSubject {
  return {
    apiVersion: obj.apiVersion ?? "",
    kind: obj.kind ?? "",
    name: obj.metadata?.name ?? "",
    namespace: obj.metadata?.namespace,
    uid: obj.metadata?.uid,
  };
}

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #series = new Map<string, Series>();
  readonly #log: KubeLogger;
  readonly #controller: string;
  readonly #instance: string;

  constructor(options: EventRecorderOptions) {
    this.#o = options;
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#controller = options.reportingController ?? `${GROUP}/controller`;
    this.#instance = truncate(options.reportingInstance ?? hostname(), MAX_FIELD);
  }

  /**
   * Records that `action` happened to `subject` because of `reason`. Returns at once; the write
   * happens in the background (await `flush()` to wait for it).
   */
  record(
    subject: EventSubject | KubeObject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): void {
    try {
      this.#record("name" in subject ? subject : subjectOf(subject), type, reason, action, note);
    } catch (err) {
      this.#log.warn({ reason, ...errorFields(err) }, "could not record an Event");
    }
  }

  /** Waits for every write started so far (for shutdown and tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#series.values()].map((s) => s.chain));
  }

  #record(subject: EventSubject, type: EventType, reason: string, action: string, note: string): void {
    const now = (this.#o.now ?? (() => new Date()))();
    const namespace = subject.namespace ?? "default"; // cluster-scoped subjects' events live in default
    const regarding = {
      apiVersion: subject.apiVersion,
      kind: subject.kind,
      name: subject.name,
      ...(subject.namespace === undefined ? {} : { namespace: subject.namespace }),
      ...(subject.uid === undefined ? {} : { uid: subject.uid }),
    };
    const body = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      regarding,
      type,
      reason: truncate(reason, MAX_FIELD),
      action: truncate(action, MAX_FIELD),
      note: truncateBytes(note, MAX_NOTE_BYTES),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
    };
    const key = JSON.stringify([namespace, regarding, type, body.reason, body.action, body.note]);
    const windowMs = this.#o.seriesWindowMs ?? 600_000;
    let series = this.#series.get(key);
    if (series !== undefined && now.getTime() - series.lastObserved.getTime() > windowMs) {
      this.#series.delete(key);
      series = undefined;
    }
    if (series === undefined) {
      series = {
        namespace,
        subjectName: subject.name,
        body,
        name: undefined,
        count: 0,
        written: 0,
        lastObserved: now,
        chain: Promise.resolve(),
      };
      this.#remember(key, series);
    }
    series.count += 1;
    series.lastObserved = now;
    const s = series;
    // One write at a time per series; a write that finds nothing new to say does nothing, so a burst
    // of repeats collapses into the writes that happen to be in flight.
    s.chain = s.chain.then(() => this.#sync(s)).catch((err: unknown) => this.#failed(s, err));
  }

  async #sync(s: Series): Promise<void> {
    if (s.count === s.written) return;
    const count = s.count;
    const lastObservedTime = formatMicroTime(s.lastObserved);
    if (s.name !== undefined) {
      try {
        await this.#o.transport.request({
          method: "PATCH",
          path: objectPath(EVENTS, s.name, s.namespace),
          body: { series: { count, lastObservedTime } },
          contentType: "application/merge-patch+json",
        });
        s.written = count;
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired (the API server keeps them about an hour): start a new one.
        s.name = undefined;
      }
    }
    const suffix = eventSuffix();
    const name = `${s.subjectName.slice(0, 252 - suffix.length)}.${suffix}`; // names stop at 253 characters
    await this.#o.transport.request({
      method: "POST",
      path: collectionPath(EVENTS, s.namespace),
      body: {
        ...s.body,
        metadata: { name, namespace: s.namespace },
        eventTime: formatMicroTime(s.lastObserved),
        ...(count > 1 ? { series: { count, lastObservedTime } } : {}),
      },
    });
    s.name = name;
    s.written = count;
  }

  #failed(s: Series, err: unknown): void {
    this.#log.warn(
      { event: s.body.reason, namespace: s.namespace, ...errorFields(err) },
      "could not write an Event; continuing without it",
    );
  }

  #remember(key: string, series: Series): void {
    this.#series.set(key, series);
    const max = this.#o.maxSeries ?? 4096;
    while (this.#series.size > max) {
      const oldest = this.#series.keys().next().value;
      if (oldest === undefined) break;
      this.#series.delete(oldest);
    }
  }
}

/** Like client-go: unique enough within one object's events, sortable by time. */
function eventSuffix(): string {
  return `${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff)
    .toString(16)
    .padStart(3, "0")}`;
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max);
}

function truncateBytes(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  let out = value;
  while (Buffer.byteLength(out) > maxBytes - 3) out = out.slice(0, -1);
  return `${out}...`;
}
