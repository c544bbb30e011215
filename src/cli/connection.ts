// The connection the kubectl-style flags select (see cluster-flags.ts). Loaded only by commands that talk
// to a cluster: the Kubernetes client takes seconds to import, and lint/plan must not pay for it.
import { createKubeClient, type KubeClient } from "../kube/client.ts";
import { plainError } from "./api-errors.ts";
import type { ClusterOptions } from "./cluster-flags.ts";
import type { CliIo } from "./io.ts";

export interface Connection {
  readonly client: KubeClient;
  /** The namespace to act in: -n, else the context's namespace, else "default". */
  readonly namespace: string;
  /** -A: list across namespaces (only commands that list accept it). */
  readonly allNamespaces: boolean;
}

/** Opens the connection the flags name. Throws an Error in plain words when the kubeconfig is unusable. */
export function connect(options: ClusterOptions): Connection {
  const { client } = createKubeClient(
    {
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      ...(options.context === undefined ? {} : { context: options.context }),
    },
    { userAgent: "kubectl-slipway/0.1.0" },
  );
  const contextNamespace = client.kc.getContextObject(client.kc.getCurrentContext())?.namespace;
  const namespace = nonEmpty(options.namespace) ?? nonEmpty(contextNamespace) ?? "default";
  return { client, namespace, allNamespaces: options.allNamespaces === true };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Releases the pooled connections so the process can exit at once. */
export async function disconnect(connection: Connection): Promise<void> {
  await connection.client.kc.closeConnections();
}

/**
 * Connects, runs `body`, and turns any failure into one plain `error: cannot <doing>: ...` line (exit 1).
 * `doing` receives the connection because the namespace is only known once the kubeconfig is read.
 */
export async function withConnection(
  options: ClusterOptions,
  io: CliIo,
  doing: (namespace: string) => string,
  body: (connection: Connection) => Promise<number>,
): Promise<number> {
  let connection: Connection;
  try {
    connection = connect(options);
  } catch (err) {
    io.stderr(`error: ${plainError(err, doing(options.namespace ?? "default"))}\n`);
    return 1;
  }
  try {
    return await body(connection);
  } catch (err) {
    io.stderr(`error: ${plainError(err, doing(connection.namespace))}\n`);
    return 1;
  } finally {
    await disconnect(connection);
  }
}
