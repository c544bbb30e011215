// Keeps the serving certificate, the Secret every replica shares and the webhook configurations' caBundle
// in step. Every replica runs this; the Secret's resourceVersion decides races (create-if-absent, replace
// with a precondition), and a loser adopts the winner's certificates, so replicas converge on one set.

import type { KubeLogger } from "../../src/kube/log.ts";
import { applyPlan, planCertificates, type CertificatePolicy, type CertificateSet } from "./rotation.ts";
import type { KeyPairPem } from "./generate.ts";

export interface StoredCertificates {
  /** Undefined when the Secret exists but its data is incomplete (then it is remade). */
  readonly set: CertificateSet | undefined;
  readonly resourceVersion: string;
}

/** The Secret and the webhook configurations; see kube/cert-store.ts for the API server version. */
export interface CertStore {
  /** Undefined when the Secret does not exist. */
  read(): Promise<StoredCertificates | undefined>;
  /** False when someone else created it first. */
  create(set: CertificateSet): Promise<boolean>;
  /** False when the Secret changed since `resourceVersion` was read. */
  replace(set: CertificateSet, resourceVersion: string): Promise<boolean>;
  /** Create or update both `slipway` configurations with this caBundle (PEM). */
  publishCaBundle(caBundle: string): Promise<void>;
}

export interface CertManagerOptions {
  readonly store: CertStore;
  readonly policy: CertificatePolicy;
  readonly now?: () => Date;
  /** Hot-swap the serving certificate (called only when it changed). */
  readonly onServingCertificate: (pair: KeyPairPem) => void;
  readonly logger: KubeLogger;
  /** Look at the Secret at least this often (another replica may have rotated). Default 60 s. */
  readonly recheckMs?: number;
  /**
   * Publish the configurations from the first reconcile on (default). A server that is not listening
   * yet passes false, so the API server is not pointed at it too early; `start()` publishes.
   */
  readonly publishImmediately?: boolean;
}

const MAX_ATTEMPTS = 5;

export class CertManager {
  readonly #o: CertManagerOptions;
  #served: string | undefined;
  #published: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Configurations are published only once the server listens (see `start`). */
  #publishing: boolean;
  #running: Promise<CertificateSet> | undefined;

  constructor(options: CertManagerOptions) {
    this.#o = options;
    this.#publishing = options.publishImmediately ?? true;
  }

  /** One pass: read, renew if due, write (retrying lost races), then serve and publish the result. */
  reconcile(): Promise<CertificateSet> {
    // Never two passes at once in one process: the timer and a caller could otherwise race each other.
    this.#running ??= this.#reconcile().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #reconcile(): Promise<CertificateSet> {
    const now = this.#o.now ?? (() => new Date());
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await this.#o.store.read();
      const plan = planCertificates(stored?.set, this.#o.policy, now());
      if (plan.type === "keep" && stored?.set !== undefined) {
        await this.#use(stored.set);
        return stored.set;
      }
      const next = await applyPlan(stored?.set, plan, this.#o.policy, now());
      const written =
        stored === undefined
          ? await this.#o.store.create(next)
          : await this.#o.store.replace(next, stored.resourceVersion);
      if (written) {
        this.#o.logger.info(
          { action: plan.type, reason: "reason" in plan ? plan.reason : "" },
          "webhook certificates renewed",
        );
        await this.#use(next);
        return next;
      }
      // Another replica wrote first: read what it wrote and judge that instead.
      this.#o.logger.info({ attempt }, "another replica updated the webhook certificates first; re-reading");
    }
    throw new Error(
      `could not update the webhook certificate Secret after ${MAX_ATTEMPTS} attempts (conflicts)`,
    );
  }

  async #use(set: CertificateSet): Promise<void> {
    if (this.#served !== set.serving.cert) {
      this.#o.onServingCertificate(set.serving);
      this.#served = set.serving.cert;
    }
    if (!this.#publishing) return;
    const bundle = set.caBundle.join("");
    // Published on every pass (cheap when unchanged), so a hand-edited configuration is repaired.
    await this.#o.store.publishCaBundle(bundle);
    this.#published = bundle;
  }

  get publishedCaBundle(): string | undefined {
    return this.#published;
  }

  /**
   * Publish the configurations and keep everything current: reconcile now, then whenever a certificate is
   * due, or every `recheckMs`, until stopped. Resolves after the first pass (which never throws).
   */
  start(): Promise<void> {
    this.#publishing = true;
    const schedule = (delayMs: number) => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => void tick(), Math.max(250, delayMs));
      this.#timer.unref();
    };
    const recheck = this.#o.recheckMs ?? 60_000;
    const now = this.#o.now ?? (() => new Date());
    const tick = async () => {
      try {
        const set = await this.reconcile();
        const plan = planCertificates(set, this.#o.policy, now());
        const due = plan.type === "keep" ? plan.checkAt.getTime() - now().getTime() : 0;
        schedule(Math.min(recheck, due));
      } catch (err) {
        this.#o.logger.error({ err: String(err) }, "webhook certificate reconcile failed; retrying");
        schedule(Math.min(recheck, 5_000));
      }
    };
    // The first pass runs now, so the caller knows when the configurations point at this server.
    return tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
