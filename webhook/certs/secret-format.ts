// How a CertificateSet is stored in the Secret `slipway-webhook-certs` (base64 data keys, PEM values).
// `tls.crt` / `tls.key` / `ca.crt` follow the kubernetes.io/tls and cert-manager conventions.

import type { CertificateSet } from "./rotation.ts";

const KEYS = {
  caCert: "ca.crt",
  caKey: "ca.key",
  servingCert: "tls.crt",
  servingKey: "tls.key",
  nextCaCert: "ca-next.crt",
  nextCaKey: "ca-next.key",
  nextCaSince: "ca-next.since",
  bundle: "ca-bundle.crt",
} as const;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemBundle(bundle: string): string[] {
  return [...bundle.matchAll(PEM_CERTIFICATE)].map((m) => `${m[0]}\n`);
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined) =>
  text === undefined ? undefined : Buffer.from(text, "base64").toString("utf8");

export function toSecretData(set: CertificateSet): Record<string, string> {
  const data: Record<string, string> = {
    [KEYS.caCert]: b64(set.ca.cert),
    [KEYS.caKey]: b64(set.ca.key),
    [KEYS.servingCert]: b64(set.serving.cert),
    [KEYS.servingKey]: b64(set.serving.key),
    [KEYS.bundle]: b64(set.caBundle.join("")),
  };
  if (set.nextCa !== undefined) {
    data[KEYS.nextCaCert] = b64(set.nextCa.cert);
    data[KEYS.nextCaKey] = b64(set.nextCa.key);
    data[KEYS.nextCaSince] = b64(set.nextCaSince ?? new Date(0).toISOString());
  }
  return data;
}

/** The set stored in a Secret's data, or undefined when it is missing or incomplete (then it is remade). */
export function fromSecretData(
  data: Readonly<Record<string, string>> | undefined,
): CertificateSet | undefined {
  if (data === undefined) return undefined;
  const get = (key: string) => unb64(data[key]);
  const caCert = get(KEYS.caCert);
  const caKey = get(KEYS.caKey);
  const cert = get(KEYS.servingCert);
  const key = get(KEYS.servingKey);
  if (caCert === undefined || caKey === undefined || cert === undefined || key === undefined)
    return undefined;
  const nextCert = get(KEYS.nextCaCert);
  const nextKey = get(KEYS.nextCaKey);
  const bundle = splitPemBundle(get(KEYS.bundle) ?? caCert);
  return {
    ca: { cert: caCert, key: caKey },
    serving: { cert, key },
    ...(nextCert !== undefined && nextKey !== undefined
      ? {
          nextCa: { cert: nextCert, key: nextKey },
          nextCaSince: get(KEYS.nextCaSince) ?? new Date(0).toISOString(),
        }
      : {}),
    caBundle: bundle.length === 0 ? [caCert] : bundle,
  };
}
