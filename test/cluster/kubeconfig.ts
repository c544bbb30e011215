// Self-contained kubeconfig files (certificates embedded) so they can be copied or used from any cwd.
import { stringify } from "yaml";

export type Credentials =
  | { readonly kind: "client-cert"; readonly certPem: string; readonly keyPem: string }
  | { readonly kind: "token"; readonly token: string };

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

export function renderKubeconfig(
  server: string,
  caPem: string,
  userName: string,
  creds: Credentials,
): string {
  const user =
    creds.kind === "client-cert"
      ? { "client-certificate-data": b64(creds.certPem), "client-key-data": b64(creds.keyPem) }
      : { token: creds.token };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "slipway-local", cluster: { server, "certificate-authority-data": b64(caPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name: `${userName}@slipway-local`, context: { cluster: "slipway-local", user: userName } }],
    "current-context": `${userName}@slipway-local`,
  });
}
