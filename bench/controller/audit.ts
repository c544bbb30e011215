// The API server's audit log (JSON lines, policy in audit-policy.yaml) as the benchmark reads it: every
// mutating request once, with microsecond timestamps taken by the API server itself, so the time between a
// trigger and the controller's answer is measured on one clock, with no watch of ours in between.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { BENCH_USER_AGENT } from "./kube.ts";

export interface AuditEvent {
  readonly verb: string;
  readonly user: string;
  readonly userAgent: string;
  readonly resource: string;
  readonly subresource: string | undefined;
  readonly apiGroup: string;
  readonly namespace: string;
  readonly name: string;
  readonly code: number;
  /** When the API server received the request, and when the response was complete (µs since the epoch). */
  readonly receivedUs: number;
  readonly completedUs: number;
  /** The request body, for the writes the policy records with bodies. */
  readonly body: unknown;
  /**
   * metadata.resourceVersion of the request body (the precondition) and of the response: equal on a
   * successful write means the API server found nothing to change (a no-op write).
   */
  readonly requestVersion: string | undefined;
  readonly responseVersion: string | undefined;
}

interface RawEvent {
  readonly verb?: string;
  readonly user?: { readonly username?: string };
  readonly userAgent?: string;
  readonly objectRef?: {
    readonly resource?: string;
    readonly subresource?: string;
    readonly apiGroup?: string;
    readonly namespace?: string;
    readonly name?: string;
  };
  readonly responseStatus?: { readonly code?: number };
  readonly requestReceivedTimestamp?: string;
  readonly stageTimestamp?: string;
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
}

function versionOf(body: unknown): string | undefined {
  const metadata = (body as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata;
  return typeof metadata?.resourceVersion === "string" ? metadata.resourceVersion : undefined;
}

/** "2026-12-03T19:38:35.278007Z" → µs since the epoch (Date.parse keeps milliseconds only). */
export function microseconds(stamp: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (match === null) return Number.NaN;
  const fraction = (match[2] ?? "").padEnd(6, "0").slice(0, 6);
  return Date.parse(`${match[1]}Z`) * 1000 + Number(fraction);
}

function toEvent(raw: RawEvent): AuditEvent {
  const ref = raw.objectRef ?? {};
  return {
    verb: raw.verb ?? "",
    user: raw.user?.username ?? "",
    userAgent: raw.userAgent ?? "",
    resource: ref.resource ?? "",
    subresource: ref.subresource,
    apiGroup: ref.apiGroup ?? "",
    namespace: ref.namespace ?? "",
    name: ref.name ?? "",
    code: raw.responseStatus?.code ?? 0,
    receivedUs: microseconds(raw.requestReceivedTimestamp ?? ""),
    completedUs: microseconds(raw.stageTimestamp ?? ""),
    body: raw.requestObject,
    requestVersion: versionOf(raw.requestObject),
    responseVersion: versionOf(raw.responseObject),
  };
}

const MUTATING = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** Reads the audit log from where the last read stopped; only whole lines, only mutating requests. */
export class AuditLog {
  readonly #path: string;
  #offset = 0;

  constructor(path: string) {
    this.#path = path;
  }

  /** Skips everything written so far: later reads return only what happens from now on. */
  mark(): void {
    this.#offset = statSync(this.#path).size;
  }

  read(): AuditEvent[] {
    const size = statSync(this.#path).size;
    if (size <= this.#offset) return [];
    const fd = openSync(this.#path, "r");
    const buffer = Buffer.alloc(size - this.#offset);
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString("utf8");
    const end = text.lastIndexOf("\n") + 1;
    this.#offset += Buffer.byteLength(text.slice(0, end));
    const events: AuditEvent[] = [];
    for (const line of text.slice(0, end).split("\n")) {
      if (line === "") continue;
      const event = toEvent(JSON.parse(line) as RawEvent);
      if (MUTATING.has(event.verb)) events.push(event);
    }
    return events.sort((a, b) => a.receivedUs - b.receivedUs);
  }

  /**
   * The API server writes an event once its response is complete: after our last request returned, give the
   * controller's answers `ms` to complete, then read.
   */
  async settle(ms = 1_500): Promise<AuditEvent[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.read();
  }
}

export const isController = (e: AuditEvent): boolean => e.userAgent.startsWith("slipway-controller/");
export const isBench = (e: AuditEvent): boolean => e.userAgent === BENCH_USER_AGENT;

export type WriteCategory =
  "rollout-status" | "rollout" | "deployment" | "replicaset" | "event" | "lease" | "other";

export function category(e: AuditEvent): WriteCategory {
  if (e.resource === "rollouts") return e.subresource === "status" ? "rollout-status" : "rollout";
  if (e.resource === "deployments") return "deployment";
  if (e.resource === "replicasets") return "replicaset";
  if (e.resource === "events") return "event";
  if (e.resource === "leases") return "lease";
  return "other";
}

/** The benchmark's `set image` (a strategic merge patch; its server-side applies carry apiVersion). */
export const isSetImage = (e: AuditEvent): boolean =>
  isBench(e) &&
  e.resource === "deployments" &&
  e.verb === "patch" &&
  (e.body as { apiVersion?: unknown } | undefined)?.apiVersion === undefined;

export const isWorkloadWrite = (e: AuditEvent): boolean =>
  isController(e) && (e.resource === "deployments" || e.resource === "replicasets");
