// Leaves a reused cluster as the benchmark found it: its namespaces deleted while a controller runs (each
// Rollout detaches and drops its finalizer), leftovers' finalizers removed by hand, the webhook
// configurations (which fail closed) deleted. A cluster the benchmark started is simply stopped instead.
import type { KubeClient } from "../../src/kube/client.ts";
import { mergePatch } from "../../src/kube/patch.ts";
import { ROLLOUTS } from "../../src/kube/resources.ts";
import { deleteWebhookConfigurations } from "../../test/e2e/rollout/fixtures.ts";
import { startBenchController } from "./cluster.ts";
import { deleteNamespace } from "./kube.ts";
import type { RolloutWatch } from "./rollouts.ts";

const isBenchNamespace = (ns: string | undefined) => ns?.startsWith("bench-") === true;

export async function cleanUp(
  client: KubeClient,
  watch: RolloutWatch,
  namespaces: readonly string[],
): Promise<void> {
  const controller = await startBenchController("bench-cleanup");
  try {
    for (const ns of namespaces) await deleteNamespace(client, ns);
    const left = () => watch.list().filter((r) => isBenchNamespace(r.metadata?.namespace));
    await watch
      .until("the benchmark's Rollouts to be gone", () => left().length === 0, 180_000)
      .catch(() => undefined);
    for (const r of left()) {
      await mergePatch(
        client,
        { resource: ROLLOUTS, namespace: r.metadata?.namespace ?? "", name: r.metadata?.name ?? "" },
        { metadata: { finalizers: null } },
      ).catch(() => undefined);
    }
  } finally {
    await controller.kill("SIGTERM");
    await deleteWebhookConfigurations();
  }
}
