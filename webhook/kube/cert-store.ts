// The CertStore on a real API server: the Secret `slipway-webhook-certs` in Slipway's namespace and the
// two `slipway` webhook configurations. Writes carry resourceVersion preconditions; nothing is blind. The
// configurations get a JSON patch of only what Slipway owns (configuration-patch.ts), never a replacement.

import { WEBHOOK_CERT_SECRET, WEBHOOK_CONFIGURATION_NAME } from "../../src/api/names.ts";
import type { ApiTransport } from "../../src/kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../../src/kube/errors.ts";
import { jsonPatch } from "../../src/kube/patch.ts";
import { collectionPath, objectPath, type ResourceRef } from "../../src/kube/resources.ts";
import type { CertStore, StoredCertificates } from "../certs/cert-manager.ts";
import type { CertificateSet } from "../certs/rotation.ts";
import { fromSecretData, toSecretData } from "../certs/secret-format.ts";
import { planConfiguration, type LiveConfiguration, type Ownership } from "../configuration-patch.ts";
import {
  mutatingConfiguration,
  validatingConfiguration,
  type ConfigurationInput,
} from "../configurations.ts";

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

type Json = Record<string, unknown>;

/** Conflicts in a row before a publish gives up (the cert manager retries the whole pass later). */
const MAX_PUBLISH_ATTEMPTS = 5;

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
    // Local mode registered the configurations itself; in a cluster the Helm chart owns them.
    const owns: Ownership = input.endpoint.type === "url" ? "entries" : "caBundle";
    await this.#publish(MUTATING, "MutatingWebhookConfiguration", mutatingConfiguration(input), owns);
    await this.#publish(VALIDATING, "ValidatingWebhookConfiguration", validatingConfiguration(input), owns);
  }

  /** Writes only what Slipway owns (configuration-patch.ts), re-reading after a lost race. */
  async #publish(resource: ResourceRef, kind: string, desired: Json, owns: Ownership): Promise<void> {
    const path = objectPath(resource, WEBHOOK_CONFIGURATION_NAME);
    for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt++) {
      let live: LiveConfiguration | undefined;
      try {
        live = await this.#t.request<LiveConfiguration>({ method: "GET", path });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const plan = planConfiguration(live, desired, owns);
      try {
        switch (plan.type) {
          case "unchanged":
            return;
          case "create":
            await this.#t.request({ method: "POST", path: collectionPath(resource), body: desired });
            return;
          case "absent":
            throw new Error(
              `the ${kind} ${WEBHOOK_CONFIGURATION_NAME} does not exist: the Helm chart installs it (run helm upgrade to restore it); Slipway only writes its caBundle`,
            );
          case "patch":
            if (plan.ops.length > 0)
              await jsonPatch(this.#t, { resource, name: WEBHOOK_CONFIGURATION_NAME }, plan.ops);
            if (plan.missing.length > 0)
              throw new Error(
                `the ${kind} ${WEBHOOK_CONFIGURATION_NAME} has no webhook ${plan.missing.join(", ")}: restore it with helm upgrade (Slipway only writes the caBundle of its webhooks)`,
              );
            return;
          default: {
            const unknown: never = plan;
            throw new Error(`unknown configuration plan ${JSON.stringify(unknown)}`);
          }
        }
      } catch (err) {
        // Someone else wrote in between (another replica, Helm): read again and plan from that.
        if (!isConflict(err) && !isAlreadyExists(err)) throw err;
      }
    }
    throw new Error(
      `could not update the ${kind} ${WEBHOOK_CONFIGURATION_NAME} after ${MAX_PUBLISH_ATTEMPTS} attempts (conflicts)`,
    );
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
