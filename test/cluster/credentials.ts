// Writes the cluster's PKI, static tokens and kubeconfigs into the state directory.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { TEST_USERS } from "./config.ts";
import type { ClusterConfig, ClusterPaths, TestUser } from "./config.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { createCa, generateRsaKeyPair, issueCert } from "./pki.ts";
import type { CertAndKey } from "./pki.ts";

/** Client identities; CN is the user name and O the groups, as the API server reads them. */
const CLIENTS = [
  // system:masters bypasses RBAC: the admin, and kwok, which patches status of every Node and Pod.
  { kubeconfig: "admin", commonName: "slipway-admin", groups: ["system:masters"] },
  { kubeconfig: "kwok", commonName: "kwok-controller", groups: ["system:masters"] },
  // These two get their permissions from the bootstrap RBAC roles, as in a real cluster.
  { kubeconfig: "kube-controller-manager", commonName: "system:kube-controller-manager", groups: [] },
  { kubeconfig: "kube-scheduler", commonName: "system:kube-scheduler", groups: [] },
] as const;

/** The first address of the service range: the `kubernetes` Service's ClusterIP (a SAN, never dialled). */
function firstServiceIp(cidr: string): string {
  const [base] = cidr.split("/");
  const octets = (base ?? "").split(".").map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join(".");
}

function writePem(paths: ClusterPaths, name: string, pair: CertAndKey): void {
  const file = paths.pem(name);
  writeFileSync(file.cert, pair.certPem);
  writeFileSync(file.key, pair.keyPem, { mode: 0o600 });
}

export interface WrittenCredentials {
  readonly ca: CertAndKey;
  readonly admin: CertAndKey;
  readonly userTokens: Readonly<Record<TestUser, string>>;
}

export function writeCredentials(
  cfg: ClusterConfig,
  paths: ClusterPaths,
  server: string,
): WrittenCredentials {
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  const ca = createCa("slipway-local-ca");
  writeFileSync(paths.caCert, ca.certPem);
  writeFileSync(paths.caKey, ca.keyPem, { mode: 0o600 });

  writePem(
    paths,
    "apiserver",
    issueCert(ca, {
      commonName: "kube-apiserver",
      usage: "server",
      dnsNames: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
      ],
      ipAddresses: ["127.0.0.1", firstServiceIp(cfg.serviceCidr)],
    }),
  );

  const sa = generateRsaKeyPair();
  writeFileSync(paths.saKey, sa.privateKeyPem, { mode: 0o600 });
  writeFileSync(paths.saPub, sa.publicKeyPem);

  let admin: CertAndKey | undefined;
  for (const client of CLIENTS) {
    const pair = issueCert(ca, {
      commonName: client.commonName,
      organizations: client.groups,
      usage: "client",
    });
    writePem(paths, client.kubeconfig, pair);
    if (client.kubeconfig === "admin") admin = pair;
    writeFileSync(
      paths.kubeconfig(client.kubeconfig),
      renderKubeconfig(server, ca.certPem, client.kubeconfig, { kind: "client-cert", ...pair }),
      { mode: 0o600 },
    );
  }
  if (admin === undefined) throw new Error("internal: the admin client certificate was not generated");

  // Static token file: token,user,uid,"groups". Test users get no groups beyond system:authenticated.
  const userTokens = Object.fromEntries(
    TEST_USERS.map((u) => [u, randomBytes(24).toString("hex")]),
  ) as Record<TestUser, string>;
  writeFileSync(paths.tokens, TEST_USERS.map((u) => `${userTokens[u]},${u},${u}-uid`).join("\n") + "\n", {
    mode: 0o600,
  });
  for (const user of TEST_USERS) {
    writeFileSync(
      paths.kubeconfig(user),
      renderKubeconfig(server, ca.certPem, user, { kind: "token", token: userTokens[user] }),
      { mode: 0o600 },
    );
  }
  return { ca, admin, userTokens };
}
