// Certificates for the local control plane and for test webhook servers.
// Keys come from node:crypto (fast, native); node-forge only builds and signs the X.509 structures,
// because node:crypto cannot create certificates.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface KeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertRequest {
  readonly commonName: string;
  /** Become the certificate's O= entries: Kubernetes reads them as the user's groups. */
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly usage: "server" | "client" | "server-and-client";
  readonly validDays?: number;
}

export function generateRsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// Go rejects negative serial numbers; a leading 0x01 byte keeps the DER integer positive.
function serialNumber(): string {
  return "01" + randomBytes(15).toString("hex");
}

function subject(commonName: string, organizations: readonly string[] = []): forge.pki.CertificateField[] {
  return [
    { name: "commonName", value: commonName },
    ...organizations.map((o) => ({ name: "organizationName", value: o })),
  ];
}

function newCertificate(publicKeyPem: string, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = serialNumber();
  // Backdated an hour so a clock skew between processes never makes a fresh cert "not yet valid".
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + validDays * 86400_000);
  return cert;
}

function leafExtensions(req: CertRequest): object[] {
  const altNames = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(req.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  const extensions: object[] = [
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
    {
      name: "extKeyUsage",
      serverAuth: req.usage !== "client",
      clientAuth: req.usage !== "server",
    },
  ];
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames });
  return extensions;
}

/** A certificate authority (self-signed, CA:TRUE). */
export function createCa(commonName: string, validDays = 3650): CertAndKey {
  const keys = generateRsaKeyPair();
  const cert = newCertificate(keys.publicKeyPem, validDays);
  cert.setSubject(subject(commonName));
  cert.setIssuer(subject(commonName));
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** A leaf certificate signed by `ca`. */
export function issueCert(ca: CertAndKey, req: CertRequest): CertAndKey {
  const keys = generateRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = newCertificate(keys.publicKeyPem, req.validDays ?? 3650);
  cert.setSubject(subject(req.commonName, req.organizations));
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions(leafExtensions(req));
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/**
 * A self-signed serving certificate for a throwaway HTTPS server (e.g. a webhook in a test).
 * The certificate is its own trust anchor: pass `certPem` as the webhook's caBundle.
 */
export function selfSignedServingCert(
  hosts: { readonly dnsNames?: readonly string[]; readonly ipAddresses?: readonly string[] } = {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  },
  validDays = 7,
): CertAndKey {
  const keys = generateRsaKeyPair();
  const cert = newCertificate(keys.publicKeyPem, validDays);
  const name = subject("slipway-test-server");
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions(leafExtensions({ commonName: "slipway-test-server", usage: "server", ...hosts }));
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
