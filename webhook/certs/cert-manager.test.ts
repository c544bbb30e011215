import { describe, expect, it } from "vitest";
import { SILENT_LOGGER } from "../../src/kube/log.ts";
import { CertManager, type CertStore, type StoredCertificates } from "./cert-manager.ts";
import type { CertificateSet } from "./rotation.ts";
import { fromSecretData, toSecretData } from "./secret-format.ts";
import { MINUTE, TEST_POLICY } from "../testing/cert-policy.ts";

const policy = TEST_POLICY;

/** A Secret with resourceVersion semantics, like the API server's. */
class MemorySecret implements CertStore {
  data: Record<string, string> | undefined;
  resourceVersion = 0;
  writes = 0;
  published: string[] = [];
  async read(): Promise<StoredCertificates | undefined> {
    await Promise.resolve();
    return this.data === undefined
      ? undefined
      : { set: fromSecretData(this.data), resourceVersion: String(this.resourceVersion) };
  }
  async create(set: CertificateSet): Promise<boolean> {
    if (this.data !== undefined) return false;
    this.#write(set);
    return true;
  }
  async replace(set: CertificateSet, resourceVersion: string): Promise<boolean> {
    if (resourceVersion !== String(this.resourceVersion)) return false;
    this.#write(set);
    return true;
  }
  async publishCaBundle(caBundle: string): Promise<void> {
    this.published.push(caBundle);
  }
  #write(set: CertificateSet): void {
    this.data = toSecretData(set);
    this.resourceVersion += 1;
    this.writes += 1;
  }
}

function replica(store: CertStore, clock: { now: Date }) {
  const served: string[] = [];
  const manager = new CertManager({
    store,
    policy,
    now: () => clock.now,
    onServingCertificate: (pair) => served.push(pair.cert),
    logger: SILENT_LOGGER,
  });
  return { manager, served };
}

describe("CertManager with two replicas sharing one Secret", () => {
  it("converges on one certificate set when both start at once", async () => {
    const store = new MemorySecret();
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const a = replica(store, clock);
    const b = replica(store, clock);
    const [setA, setB] = await Promise.all([a.manager.reconcile(), b.manager.reconcile()]);
    expect(store.writes).toBe(1);
    expect(setA).toEqual(setB);
    expect(a.served).toEqual([setA.serving.cert]);
    expect(b.served).toEqual([setA.serving.cert]);
    expect(store.published.every((bundle) => bundle === setA.ca.cert)).toBe(true);
  });

  it("rotates once when both see the serving certificate due, and both swap to it", async () => {
    const store = new MemorySecret();
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const a = replica(store, clock);
    const b = replica(store, clock);
    const first = await a.manager.reconcile();
    await b.manager.reconcile();
    clock.now = new Date(clock.now.getTime() + 21 * MINUTE);
    const [setA, setB] = await Promise.all([a.manager.reconcile(), b.manager.reconcile()]);
    expect(store.writes).toBe(2);
    expect(setA.serving.cert).not.toBe(first.serving.cert);
    expect(setB).toEqual(setA);
    expect(a.served).toEqual([first.serving.cert, setA.serving.cert]);
    expect(b.served).toEqual([first.serving.cert, setA.serving.cert]);
  });

  it("publishes the new CA before any replica serves a certificate it signed", async () => {
    const store = new MemorySecret();
    const clock = { now: new Date("2026-03-01T12:00:00Z") };
    const a = replica(store, clock);
    await a.manager.reconcile();
    clock.now = new Date(clock.now.getTime() + 41 * MINUTE);
    await a.manager.reconcile(); // serving reissued
    clock.now = new Date(clock.now.getTime() + 20 * MINUTE);
    const introduced = await a.manager.reconcile();
    expect(store.published.at(-1)).toContain(introduced.nextCa?.cert.trim());
    expect(a.served.at(-1)).toBe(introduced.serving.cert); // still the old CA's certificate
    clock.now = new Date(clock.now.getTime() + 3 * MINUTE);
    const promoted = await a.manager.reconcile();
    expect(promoted.ca).toEqual(introduced.nextCa);
    expect(a.served.at(-1)).toBe(promoted.serving.cert);
    expect(store.published.at(-1)).toContain(introduced.ca.cert.trim()); // old CA still trusted
  });
});
