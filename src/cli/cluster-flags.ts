// The kubectl-style connection flags shared by every command that talks to a cluster. kubectl passes its
// own --kubeconfig/--context/-n to a plugin as plain arguments, so the plugin accepts the same spellings.
// Light on purpose (commander only): the connection itself lives in connection.ts, loaded on demand.
import type { Command } from "commander";

export interface ClusterOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly allNamespaces?: boolean;
}

/** Adds --kubeconfig, --context, -n and (for listing commands) -A to `command`. */
export function withClusterOptions(
  command: Command,
  options: { readonly allNamespaces?: boolean } = {},
): Command {
  command
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use (default: the current context)")
    .option("-n, --namespace <ns>", "namespace of the Rollout (default: the context's namespace)");
  if (options.allNamespaces === true)
    command.option("-A, --all-namespaces", "list Rollouts in every namespace");
  return command;
}
