// The CertStore on a real API server: the Secret `slipway-webhook-certs` in Slipway's namespace and the
// two `slipway` webhook configurations. Writes carry resourceVersion preconditions; nothing is blind.

import { WEBHOOK_CERT_SECRET, WEBHOOK_CONFIGURATION_NAME } from "../../src/api/names.ts";
import type { ApiTransport } from "../../src/kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../../src/kube/errors.ts";
import { collectionPath, objectPath, type ResourceRef } from "../../src/kube/resources.ts";
import type { CertStore, StoredCertificates } from "../certs/cert-manager.ts";
import type { CertificateSet } from "../certs/rotation.ts";
import { fromSecretData, toSecretData } from "../certs/secret-format.ts";
import {
  mutatingConfiguration,
  validatingConfiguration,
  type ConfigurationInput,
} from "../configurations.ts";
import { isJsonObject } from "../json-patch.ts";

const SECRETS: ResourceRef = { group: "", version: "v1", plural: "secrets", namespaced: true };
const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces", namespaced: false };
const MUTATING: ResourceRef = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  plural: "mutatingwebhookconfigurations",
  namespaced: false,
};
const VALIDATING: ResourceRef = { ...MUTATING, plural: "validatingwebhookconfigurations" };

interface SecretObject {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly data?: Record<string, string>;
}

interface Configuration {
  readonly metadata?: { readonly resourceVersion?: string; readonly labels?: Record<string, string> };
  readonly webhooks?: readonly Record<string, unknown>[];
}

export interface KubeCertStoreOptions {
  readonly transport: ApiTransport;
  readonly namespace: string;
  /** Where the API server reaches the webhook; the caBundle is added per publish. */
  readonly configuration: Omit<ConfigurationInput, "caBundle">;
}

export class KubeCertStore implements CertStore {
  readonly #t: ApiTransport;
  readonly #o: KubeCertStoreOptions;

  constructor(options: KubeCertStoreOptions) {
    this.#t = options.transport;
    this.#o = options;
  }

  async read(): Promise<StoredCertificates | undefined> {
    try {
      const secret = await this.#t.request<SecretObject>({
        method: "GET",
        path: objectPath(SECRETS, WEBHOOK_CERT_SECRET, this.#o.namespace),
      });
      return { set: fromSecretData(secret.data), resourceVersion: secret.metadata?.resourceVersion ?? "" };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(set: CertificateSet, afterCreatingNamespace = false): Promise<boolean> {
    try {
      await this.#t.request({
        method: "POST",
        path: collectionPath(SECRETS, this.#o.namespace),
        body: this.#secret(set),
      });
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      if (!isNotFound(err) || afterCreatingNamespace) throw err;
    }
    // The namespace is missing (local mode on a fresh cluster): create it, then the Secret.
    await this.#ensureNamespace();
    return this.create(set, true);
  }

  async replace(set: CertificateSet, resourceVersion: string): Promise<boolean> {
    try {
      await this.#t.request({
        method: "PUT",
        path: objectPath(SECRETS, WEBHOOK_CERT_SECRET, this.#o.namespace),
        body: { ...this.#secret(set), metadata: { ...this.#secret(set).metadata, resourceVersion } },
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async publishCaBundle(caBundle: string): Promise<void> {
    const input = { ...this.#o.configuration, caBundle };
    await this.#apply(MUTATING, mutatingConfiguration(input));
    await this.#apply(VALIDATING, validatingConfiguration(input));
  }

  /** Create, or update when any field Slipway sets differs (server-side defaults are left alone). */
  async #apply(resource: ResourceRef, desired: Record<string, unknown>): Promise<void> {
    let live: Configuration;
    try {
      live = await this.#t.request<Configuration>({
        method: "GET",
        path: objectPath(resource, WEBHOOK_CONFIGURATION_NAME),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#t.request({ method: "POST", path: collectionPath(resource), body: desired });
      return;
    }
    if (containsAll(live, desired)) return;
    const metadata = desired["metadata"] as Record<string, unknown>;
    await this.#t.request({
      method: "PUT",
      path: objectPath(resource, WEBHOOK_CONFIGURATION_NAME),
      body: { ...desired, metadata: { ...metadata, resourceVersion: live.metadata?.resourceVersion } },
    });
  }

  #secret(set: CertificateSet) {
    return {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: {
        name: WEBHOOK_CERT_SECRET,
        namespace: this.#o.namespace,
        labels: { "app.kubernetes.io/name": "slipway", "app.kubernetes.io/component": "webhook" },
      },
      data: toSecretData(set),
    };
  }

  async #ensureNamespace(): Promise<void> {
    try {
      await this.#t.request({
        method: "POST",
        path: collectionPath(NAMESPACES),
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name: this.#o.namespace } },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/** Whether every field of `wanted` has the same value in `actual` (lists: same length, item by item). */
export function containsAll(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => containsAll(actual[i], w))
    );
  }
  if (isJsonObject(wanted)) {
    return isJsonObject(actual) && Object.entries(wanted).every(([k, w]) => containsAll(actual[k], w));
  }
  return actual === wanted;
}
