// A private CA and serving certificates made with node-forge (Node's crypto can verify X.509 but not issue
// it). RSA-2048 keys come from Node's native generator through forge's async path, off the event loop.

import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import forge from "node-forge";

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface ServingHosts {
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

/** Backdating covers clock skew between replicas and the API server, capped for very short lifetimes. */
function backdateMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.floor(lifetimeMs / 10));
}

function generateKeys(): Promise<forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: 2048, workers: -1 }, (err, keys) =>
      err ? reject(err) : resolve(keys),
    );
  });
}

function serialNumber(): string {
  // Positive (leading nibble < 8) and unique: certificates of one CA must never share a serial.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

function validity(cert: forge.pki.Certificate, now: Date, lifetimeMs: number): void {
  cert.validity.notBefore = new Date(now.getTime() - backdateMs(lifetimeMs));
  cert.validity.notAfter = new Date(now.getTime() + lifetimeMs);
}

export async function createCertificateAuthority(now: Date, lifetimeMs: number): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, lifetimeMs);
  // The date in the name keeps successive CAs apart in a bundle and in `openssl x509 -subject`.
  const subject = [{ name: "commonName", value: `slipway-webhook-ca-${now.toISOString()}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return pemPair(cert, keys.privateKey);
}

export async function createServingCertificate(
  ca: KeyPairPem,
  hosts: ServingHosts,
  now: Date,
  lifetimeMs: number,
): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, now, lifetimeMs);
  cert.setSubject([{ name: "commonName", value: hosts.dnsNames[0] ?? hosts.ips[0] ?? "slipway-webhook" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        ...hosts.dnsNames.map((value) => ({ type: 2, value })),
        ...hosts.ips.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return pemPair(cert, keys.privateKey);
}

/** PEM with plain newlines (forge writes CRLF), so stored bundles compare and split predictably. */
function pemPair(cert: forge.pki.Certificate, key: forge.pki.PrivateKey): KeyPairPem {
  const lf = (pem: string) => pem.replaceAll("\r\n", "\n");
  return { cert: lf(forge.pki.certificateToPem(cert)), key: lf(forge.pki.privateKeyToPem(key)) };
}

/** The hosts of the serving certificate (SPEC §4.2): the Service names, and loopback in local mode. */
export function servingHosts(service: string, namespace: string, local: boolean): ServingHosts {
  const dnsNames = [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
  return local ? { dnsNames: [...dnsNames, "localhost"], ips: ["127.0.0.1"] } : { dnsNames, ips: [] };
}

/** Whether `pair.cert` covers every host, was issued by `ca`, and matches its own key. */
export function servingCertificateFits(pair: KeyPairPem, ca: string, hosts: ServingHosts): boolean {
  try {
    const cert = new X509Certificate(pair.cert);
    const issuer = new X509Certificate(ca);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(pair.key))) return false;
    return (
      hosts.dnsNames.every((name) => cert.checkHost(name, { wildcards: false }) === name) &&
      hosts.ips.every((ip) => cert.checkIP(ip) === ip)
    );
  } catch {
    return false;
  }
}
