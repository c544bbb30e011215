// When to renew what (SPEC §4.2: before expiry, when less than a third of the lifetime remains), as a pure
// plan over the certificates in the Secret, and carrying the plan out.
//
// The serving certificate is simply reissued by the same CA: the API server already trusts it. A new CA
// goes through two phases so that no admission ever fails: first it joins the caBundle (the API server
// picks that up), and only after `caOverlapMs` does it sign the serving certificate. The previous CA
// stays in the bundle until it expires, for replicas still serving a certificate it signed.

import { X509Certificate } from "node:crypto";
import {
  createCertificateAuthority,
  createServingCertificate,
  servingCertificateFits,
  type KeyPairPem,
  type ServingHosts,
} from "./generate.ts";

export interface CertificateSet {
  /** Signs the serving certificate. */
  readonly ca: KeyPairPem;
  readonly serving: KeyPairPem;
  /** A successor CA already in the bundle but not yet signing, and since when (ISO time). */
  readonly nextCa?: KeyPairPem;
  readonly nextCaSince?: string;
  /** CA certificates the API server trusts (PEM each). */
  readonly caBundle: readonly string[];
}

export interface CertificatePolicy {
  readonly caLifetimeMs: number;
  readonly servingLifetimeMs: number;
  /** How long a new CA sits in the bundle before it signs (the API server must have seen the bundle). */
  readonly caOverlapMs: number;
  readonly hosts: ServingHosts;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_POLICY_TIMES = {
  caLifetimeMs: 10 * 365 * DAY_MS,
  servingLifetimeMs: 365 * DAY_MS,
  caOverlapMs: 5 * 60 * 1000,
} as const;

export type CertificatePlan =
  | { readonly type: "keep"; readonly checkAt: Date }
  | { readonly type: "create"; readonly reason: string }
  | { readonly type: "reissue-serving"; readonly reason: string }
  | { readonly type: "introduce-ca"; readonly reason: string }
  | { readonly type: "promote-ca"; readonly reason: string };

interface Validity {
  readonly notBefore: number;
  readonly notAfter: number;
}

function validityOf(pem: string): Validity | undefined {
  try {
    const cert = new X509Certificate(pem);
    return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
  } catch {
    return undefined;
  }
}

/** The moment a certificate enters its last third of life. */
function renewAt(validity: Validity): number {
  return validity.notAfter - (validity.notAfter - validity.notBefore) / 3;
}

export function planCertificates(
  set: CertificateSet | undefined,
  policy: CertificatePolicy,
  now: Date,
): CertificatePlan {
  const t = now.getTime();
  if (set === undefined) return { type: "create", reason: "no certificates yet" };
  const ca = validityOf(set.ca.cert);
  if (ca === undefined || t >= ca.notAfter) {
    // Nothing signed by an expired CA verifies any more: there is no overlap to preserve.
    return {
      type: "create",
      reason: ca === undefined ? "the CA certificate does not parse" : "the CA expired",
    };
  }
  const checks: number[] = [];
  let promoteAt: number | undefined;
  if (set.nextCa !== undefined) {
    promoteAt = Date.parse(set.nextCaSince ?? "") + policy.caOverlapMs;
    if (!(t < promoteAt))
      return { type: "promote-ca", reason: "the new CA has been in the caBundle long enough" };
    checks.push(promoteAt);
  } else {
    if (t >= renewAt(ca))
      return { type: "introduce-ca", reason: "less than a third of the CA's lifetime remains" };
    checks.push(renewAt(ca));
  }
  const serving = validityOf(set.serving.cert);
  if (serving === undefined || !servingCertificateFits(set.serving, set.ca.cert, policy.hosts)) {
    return {
      type: "reissue-serving",
      reason: "the serving certificate does not match the CA, its key or the hosts",
    };
  }
  // A promotion is about to replace the serving certificate anyway; renew now only if it would not last.
  const replacedSoon = promoteAt !== undefined && serving.notAfter > promoteAt;
  if (!replacedSoon && t >= renewAt(serving)) {
    return {
      type: "reissue-serving",
      reason: "less than a third of the serving certificate's lifetime remains",
    };
  }
  if (!replacedSoon) checks.push(renewAt(serving));
  return { type: "keep", checkAt: new Date(Math.min(...checks)) };
}

/** Carry out a plan (generating keys); `keep` returns the set unchanged. */
export async function applyPlan(
  set: CertificateSet | undefined,
  plan: CertificatePlan,
  policy: CertificatePolicy,
  now: Date,
): Promise<CertificateSet> {
  const serve = (ca: KeyPairPem) =>
    createServingCertificate(ca, policy.hosts, now, servingLifetime(ca, policy, now));
  switch (plan.type) {
    case "keep":
      if (set === undefined) throw new Error("cannot keep certificates that do not exist");
      return set;
    case "create": {
      const ca = await createCertificateAuthority(now, policy.caLifetimeMs);
      return {
        ca,
        serving: await serve(ca),
        caBundle: pruneBundle([ca.cert, ...(set?.caBundle ?? [])], now),
      };
    }
    case "reissue-serving":
      if (set === undefined) throw new Error("cannot reissue without a CA");
      return { ...set, serving: await serve(set.ca) };
    case "introduce-ca": {
      if (set === undefined) throw new Error("cannot rotate a CA that does not exist");
      const nextCa = await createCertificateAuthority(now, policy.caLifetimeMs);
      return {
        ...set,
        nextCa,
        nextCaSince: now.toISOString(),
        caBundle: pruneBundle([...set.caBundle, set.ca.cert, nextCa.cert], now),
      };
    }
    case "promote-ca": {
      if (set?.nextCa === undefined) throw new Error("no new CA to promote");
      const ca = set.nextCa;
      return { ca, serving: await serve(ca), caBundle: pruneBundle([...set.caBundle, ca.cert], now) };
    }
    default: {
      const unreachable: never = plan;
      return unreachable;
    }
  }
}

/** A serving certificate never outlives its CA. */
function servingLifetime(ca: KeyPairPem, policy: CertificatePolicy, now: Date): number {
  const caEnd = validityOf(ca.cert)?.notAfter ?? Number.POSITIVE_INFINITY;
  return Math.max(1000, Math.min(policy.servingLifetimeMs, caEnd - now.getTime()));
}

/** Unique, unexpired, parseable CA certificates. */
export function pruneBundle(pems: readonly string[], now: Date): string[] {
  const seen = new Set<string>();
  return pems.filter((pem) => {
    const validity = validityOf(pem);
    const key = pem.trim();
    if (validity === undefined || validity.notAfter <= now.getTime() || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
