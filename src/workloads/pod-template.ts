// Pod templates: equality the way the Deployment controller judges it (EqualIgnoreHash), and the
// pod-template-hash value Slipway gives a ReplicaSet it creates (docs/decisions/deployment-partition-style.md).

import type { V1PodTemplateSpec } from "@kubernetes/client-node";

export const POD_TEMPLATE_HASH = "pod-template-hash";
export const CONTROLLER_REVISION_HASH = "controller-revision-hash";

/**
 * A canonical form of API data: keys sorted, Dates as RFC 3339, and null/absent/empty collections treated alike
 * (apimachinery's semantic equality treats empty and nil slices and maps as equal, and JSON omits them).
 */
export function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const items = value.map((item) => canonical(item) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = canonical((value as Record<string, unknown>)[key]);
      if (item !== undefined) out[key] = item;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

function withoutHashLabel(template: V1PodTemplateSpec | undefined): unknown {
  if (template === undefined) return undefined;
  const labels = { ...template.metadata?.labels };
  delete labels[POD_TEMPLATE_HASH];
  return { ...template, metadata: { ...template.metadata, labels } };
}

function canonicalJson(template: V1PodTemplateSpec | undefined): string {
  return JSON.stringify(canonical(withoutHashLabel(template)) ?? null);
}

/** deploymentutil.EqualIgnoreHash: templates equal once the pod-template-hash label is ignored. */
export function templatesEqualIgnoringHash(
  a: V1PodTemplateSpec | undefined,
  b: V1PodTemplateSpec | undefined,
): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** 32-bit FNV-1a, the hash family the Deployment controller uses. */
function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** apimachinery rand.SafeEncodeString: no vowels and no look-alike characters, so never a word. */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
export function safeEncode(text: string): string {
  let out = "";
  for (const char of text) out += SAFE_ALPHABET[char.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/**
 * The pod-template-hash Slipway gives a ReplicaSet it creates: FNV-32a over the canonical JSON of the template
 * (hash label removed) plus the collision count, rendered like Kubernetes renders its hashes. It differs from
 * the value kube-controller-manager would compute (that one hashes Go's in-memory struct dump), which is harmless:
 * the controller finds a Deployment's ReplicaSet by template equality, never by hash (see the decision record).
 */
export function podTemplateHash(template: V1PodTemplateSpec, collisionCount = 0): string {
  const bytes = new TextEncoder().encode(canonicalJson(template));
  let hash = fnv1a32(bytes);
  if (collisionCount > 0) {
    const extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv1a32(extra, hash);
  }
  return safeEncode(String(hash));
}

const DNS_SUBDOMAIN_MAX = 253;

/** deployment controller generateReplicaSetName: `<deployment>-<hash>`, the name truncated to fit 253 chars. */
export function replicaSetName(deploymentName: string, hash: string): string {
  const maxPrefix = DNS_SUBDOMAIN_MAX - 1 - hash.length;
  const prefix = deploymentName.length > maxPrefix ? deploymentName.slice(0, maxPrefix) : deploymentName;
  return `${prefix}-${hash}`;
}
