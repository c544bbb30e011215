// `slipway controller`: the Rollout controller, with the admission webhook in the same process by default.
//   slipway controller --webhook-local-port 9443 [--kubeconfig F] [--namespace NS] [--leader-elect]
//   slipway controller --no-webhook --metrics-port 8080
import { Command, Option } from "commander";
import { pino } from "pino";
import type { CliIo } from "./io.ts";

export interface ControllerCommandOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly slipwayNamespace: string;
  readonly leaderElect?: boolean;
  readonly leaderElectionId: string;
  readonly metricsPort: string;
  readonly webhook: boolean;
  readonly webhookLocalPort?: string;
  readonly webhookPort: string;
  readonly webhookService: string;
  readonly certDir?: string;
  readonly workers: string;
  readonly logLevel: string;
}

function port(flag: string, value: string, io: CliIo): number | undefined {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  io.stderr(`${flag} ${value}: use a TCP port number (0-65535)\n`);
  return undefined;
}

/** Resolves with the exit code once the controller stopped (signal, lost leadership) or failed to start. */
export async function runControllerCommand(opts: ControllerCommandOptions, io: CliIo): Promise<number> {
  const metricsPort = port("--metrics-port", opts.metricsPort, io);
  const webhookPort = port("--webhook-port", opts.webhookLocalPort ?? opts.webhookPort, io);
  const workers = Number(opts.workers);
  if (metricsPort === undefined || webhookPort === undefined) return 1;
  if (!Number.isInteger(workers) || workers < 1) {
    io.stderr(`--workers ${opts.workers}: use a whole number >= 1\n`);
    return 1;
  }
  const logger = pino({ level: opts.logLevel, base: null });
  // Loaded on demand: lint and plan should not pay for the Kubernetes client, fastify and the engine.
  const { startController } = await import("../rollout/main.ts");
  let running;
  try {
    running = await startController({
      ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
      ...(opts.context === undefined ? {} : { context: opts.context }),
      ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
      slipwayNamespace: opts.slipwayNamespace,
      leaderElect: opts.leaderElect === true,
      leaderElectionId: opts.leaderElectionId,
      metricsPort,
      webhook: opts.webhook
        ? {
            local: opts.webhookLocalPort !== undefined,
            port: webhookPort,
            service: opts.webhookService,
            ...(opts.certDir === undefined ? {} : { certDir: opts.certDir }),
          }
        : undefined,
      workers,
      logger,
    });
  } catch (err) {
    io.stderr(`slipway controller: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const reason = await Promise.race([
    running.done.then(() => "leadership lost" as const),
    new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
  ]);
  logger.info({ reason }, "stopping");
  await running.stop();
  logger.info({}, "controller stopped");
  // Lost leadership: exit non-zero so a supervisor restarts us as a candidate (client-go's convention).
  return reason === "leadership lost" ? 1 : 0;
}

export function controllerCommand(io: CliIo, exit: (code: number) => void): Command {
  return new Command("controller")
    .description("run the Rollout controller (and, by default, the admission webhook in the same process)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--context <name>", "kubeconfig context")
    .option("--namespace <ns>", "watch Rollouts in this namespace only (default: all namespaces)")
    .option(
      "--slipway-namespace <ns>",
      "Slipway's own namespace (leader Lease, webhook certificates)",
      "slipway-system",
    )
    .option("--leader-elect", "run as one of several replicas: only the holder of the Lease reconciles")
    .option("--leader-election-id <name>", "name of the leader election Lease", "slipway-controller")
    .option(
      "--metrics-port <port>",
      "Prometheus metrics on 127.0.0.1:<port>/metrics in local mode (0: pick one)",
      "8080",
    )
    .option(
      "--webhook-local-port <port>",
      "run the webhook in local mode: https://127.0.0.1:<port> (0: pick one)",
    )
    .option("--webhook-port <port>", "in-cluster webhook HTTPS port", "9443")
    .option("--webhook-service <name>", "in-cluster: the Service in front of the webhook", "slipway-webhook")
    .option(
      "--cert-dir <dir>",
      "webhook: serve tls.crt/tls.key from this directory instead of self-managed certificates",
    )
    .option("--no-webhook", "do not run the webhook in this process (run `slipway webhook` separately)")
    .option("--workers <n>", "Rollouts reconciled in parallel", "4")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    )
    .action(async (opts: ControllerCommandOptions) => {
      exit(await runControllerCommand(opts, io));
    });
}
