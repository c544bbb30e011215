// `slipway webhook`: runs the admission webhook until SIGTERM/SIGINT, then drains.
//   slipway webhook --local --port 9443 [--kubeconfig F] [--namespace slipway-system]   (tests, demo, laptops)
//   slipway webhook --port 9443 --service slipway-webhook [--cert-dir /certs]            (in the cluster)
import { Command, Option } from "commander";
import { pino } from "pino";
import { parseDuration } from "../api/primitives.ts";
import type { CliIo } from "./io.ts";

export interface WebhookOptions {
  readonly local?: boolean;
  readonly port: string;
  readonly namespace: string;
  readonly service: string;
  readonly webhookUrl?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly certDir?: string;
  readonly certLifetime?: string;
  readonly caLifetime?: string;
  readonly caOverlap?: string;
  readonly drainDelay?: string;
  readonly logLevel: string;
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function millis(flag: string, value: string | undefined): Parsed<number | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  try {
    return { ok: true, value: parseDuration(/^\d+$/.test(value) ? Number(value) : value) * 1000 };
  } catch (err) {
    return { ok: false, error: `${flag}: ${(err as Error).message}` };
  }
}

/** Resolves with the exit code once the webhook has stopped (after a signal) or failed to start. */
export async function runWebhookCommand(opts: WebhookOptions, io: CliIo): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr(`--port ${opts.port}: use a TCP port number (0-65535)\n`);
    return 1;
  }
  const durations = {
    servingLifetimeMs: millis("--cert-lifetime", opts.certLifetime),
    caLifetimeMs: millis("--ca-lifetime", opts.caLifetime),
    caOverlapMs: millis("--ca-overlap", opts.caOverlap),
    drainDelayMs: millis("--drain-delay", opts.drainDelay),
  };
  const times: Record<string, number> = {};
  for (const [name, parsed] of Object.entries(durations)) {
    if (!parsed.ok) {
      io.stderr(`${parsed.error}\n`);
      return 1;
    }
    if (parsed.value !== undefined) times[name] = parsed.value;
  }
  const { drainDelayMs, ...certificateTimes } = times;
  const logger = pino({ level: opts.logLevel, base: { component: "webhook" } });
  // Listen before starting: a signal during startup still gets a clean stop once startup is done.
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  let running;
  try {
    // Loaded on demand: lint and plan should not pay for fastify and the Kubernetes client.
    const { runWebhook } = await import("../../webhook/run.ts");
    running = await runWebhook({
      local: opts.local === true,
      port,
      namespace: opts.namespace,
      service: opts.service,
      ...(opts.webhookUrl === undefined ? {} : { webhookUrl: opts.webhookUrl }),
      ...(opts.kubeconfig === undefined ? {} : { kubeconfig: opts.kubeconfig }),
      ...(opts.context === undefined ? {} : { context: opts.context }),
      ...(opts.certDir === undefined ? {} : { certDir: opts.certDir }),
      certificateTimes,
      // In a cluster, endpoints take a few seconds to drop a terminating pod; locally nothing routes to us.
      drainDelayMs: drainDelayMs ?? (opts.local === true ? 0 : 5_000),
      logger,
    });
  } catch (err) {
    io.stderr(`slipway webhook: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  logger.info({ signal: await signal }, "draining the webhook");
  await running.stop();
  logger.info({}, "webhook stopped");
  return 0;
}

export function webhookCommand(io: CliIo, exit: (code: number) => void): Command {
  return new Command("webhook")
    .description("run the admission webhook that holds releases of attached workloads and checks Rollouts")
    .option("--local", "listen on 127.0.0.1 and register https://127.0.0.1:PORT with the API server")
    .option("--port <port>", "HTTPS port (0 picks a free one)", "9443")
    .option(
      "--namespace <ns>",
      "Slipway's namespace (certificate Secret; never intercepted)",
      "slipway-system",
    )
    .option("--service <name>", "in-cluster: the Service in front of the webhook", "slipway-webhook")
    .option("--webhook-url <url>", "local mode: base URL to register instead of https://127.0.0.1:PORT")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
    .option("--context <name>", "kubeconfig context")
    .option(
      "--cert-dir <dir>",
      "serve tls.crt/tls.key from this directory (reloaded on change) instead of self-managed certificates",
    )
    .option("--cert-lifetime <duration>", "self-managed serving certificate lifetime (e.g. 8760h)")
    .option("--ca-lifetime <duration>", "self-managed CA lifetime (e.g. 87600h)")
    .option("--ca-overlap <duration>", "how long a new CA is trusted before it signs (e.g. 5m)")
    .option(
      "--drain-delay <duration>",
      "keep serving this long after SIGTERM (default 5s in-cluster, 0 local)",
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    )
    .action(async (opts: WebhookOptions) => exit(await runWebhookCommand(opts, io)));
}
