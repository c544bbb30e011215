// A watch the test can trust. A watch can stop delivering events without ending: under heavy load (controller
// restarts of 10-20 s, load average ~17) the release monitor's pod watch froze on the picture of step 2 while
// the cluster moved on, and the kill -9 suite reported "7 pods on the old revision" for a release the
// controller had correctly finished (docs/decisions/rollout-crash-finish.md). So while a watch is quiet, what
// it built is compared with a fresh read; a difference that is still there at the next quiet check, with no
// event in between, means events were missed: the watch is replaced (re-read, re-opened) and the stall kept.
import type { V1Pod } from "@kubernetes/client-node";
import { isPodReady, podRevision } from "../lib/pods.ts";

export type Verdict =
  /** The pictures agree, or an event arrived meanwhile (nothing to conclude). */
  | "fresh"
  /** The pictures differ; an event may still be on its way. */
  | "suspect"
  /** They differed twice with no event in between: the watch missed events. */
  | "stale";

/** The pure judgement: when to compare, and what a comparison means. */
export class WatchVerifier {
  readonly #quietMs: number;
  #lastEventAt: number;
  /** `#lastEventAt` when a difference was first seen; undefined while the pictures agree. */
  #suspectSince: number | undefined;

  constructor(now: number, quietMs: number) {
    this.#lastEventAt = now;
    this.#quietMs = quietMs;
  }

  /** Any sign of life from the watch (an event, a bookmark, the read it started from). */
  eventSeen(now: number): void {
    this.#lastEventAt = now;
    this.#suspectSince = undefined;
  }

  /** Compare only once the watch has been quiet for a while (else events are flowing). */
  shouldCheck(now: number): boolean {
    return now - this.#lastEventAt >= this.#quietMs;
  }

  /** The outcome of comparing with a read sent at `readAt`. */
  judge(differs: boolean, readAt: number): Verdict {
    // An event that arrived while the read was in flight makes the comparison meaningless.
    if (!differs || this.#lastEventAt > readAt) {
      this.#suspectSince = undefined;
      return "fresh";
    }
    if (this.#suspectSince === this.#lastEventAt) return "stale";
    this.#suspectSince = this.#lastEventAt;
    return "suspect";
  }
}

export interface WatchSpec {
  /** What is watched, for messages ("pods of e2e-1234"). */
  readonly what: string;
  /**
   * Read the current state into the watcher's picture, then open the watch. Everything that changes the
   * picture (the initial read too) goes through `deliver`, which drops what a replaced watch still sends;
   * `ended` is called when the watch ends by itself.
   */
  open(deliver: (apply: () => void) => void, ended: () => void): Promise<AbortController>;
  /** The picture the watch built. */
  watched(): string;
  /** The same picture from a fresh read; undefined when the read failed. */
  read(): Promise<string | undefined>;
}

export interface VerifyTiming {
  /** Compare only after the watch has been quiet this long. */
  readonly quietMs: number;
  readonly everyMs: number;
}

/** Keeps one watch open: re-opens it when it ends, and replaces it when it has silently missed events. */
export class VerifiedWatch {
  /** Watches re-opened after they ended or were replaced. */
  restarts = 0;
  /** Each silent stall found, with the two pictures. */
  readonly stalls: string[] = [];
  readonly #spec: WatchSpec;
  readonly #timing: VerifyTiming;
  readonly #verifier: WatchVerifier;
  #generation = 0;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #verifying = false;
  #stopped = false;

  constructor(spec: WatchSpec, timing: VerifyTiming = { quietMs: 3_000, everyMs: 2_000 }) {
    this.#spec = spec;
    this.#timing = timing;
    this.#verifier = new WatchVerifier(Date.now(), timing.quietMs);
  }

  /** Opens the watch (throws if that fails) and starts verifying it. */
  async start(): Promise<void> {
    await this.#open();
    this.#timer = setInterval(() => void this.verifyNow(), this.#timing.everyMs);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#abort?.abort();
  }

  /** One verification (the timer calls it; exposed for tests). */
  async verifyNow(): Promise<void> {
    const readAt = Date.now();
    if (this.#stopped || this.#verifying || !this.#verifier.shouldCheck(readAt)) return;
    this.#verifying = true;
    try {
      const generation = this.#generation;
      const actual = await this.#spec.read().catch(() => undefined);
      if (actual === undefined || this.#stopped || generation !== this.#generation) return;
      const watched = this.#spec.watched();
      if (this.#verifier.judge(watched !== actual, readAt) !== "stale") return;
      const oneLine = (picture: string) => picture.replaceAll("\n", "; ");
      this.stalls.push(
        `${new Date().toISOString()}: the watch of ${this.#spec.what} showed [${oneLine(watched)}] ` +
          `but a fresh read showed [${oneLine(actual)}]`,
      );
      this.#generation++; // the silent watch may neither deliver nor re-open itself any more
      this.#abort?.abort();
      this.#reopen();
    } finally {
      this.#verifying = false;
    }
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation && !this.#stopped;
    const abort = await this.#spec.open(
      (apply) => {
        if (!current()) return;
        this.#verifier.eventSeen(Date.now());
        apply();
      },
      () => {
        if (current()) this.#reopen();
      },
    );
    if (current()) this.#abort = abort;
    else abort.abort(); // replaced or stopped while it was being opened
  }

  #reopen(): void {
    if (this.#stopped) return;
    this.restarts++;
    const retry = (): void => {
      if (this.#stopped) return;
      this.#open().catch(() => setTimeout(retry, 500));
    };
    setTimeout(retry, 100);
  }
}

/** What the monitor judges pods by: name, revision, ready, terminating — one line per pod, sorted. */
export function podPicture(pods: Iterable<V1Pod>): string {
  const lines: string[] = [];
  for (const pod of pods) {
    const terminating = pod.metadata?.deletionTimestamp != null;
    const state = `${isPodReady(pod) ? " ready" : ""}${terminating ? " terminating" : ""}`;
    lines.push(`${pod.metadata?.name ?? ""} ${podRevision(pod)}${state}`);
  }
  return lines.sort().join("\n");
}
