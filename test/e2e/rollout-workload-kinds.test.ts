// The same release (steps 1 / 30% pause{} / 60% pause{5s} / 100%) for the other workload kinds: a Deployment
// in canary-deployment style and a 5-replica StatefulSet.
import { afterAll, beforeAll, describe, it } from "vitest";
import { withNamespace } from "./lib/index.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import { deleteWebhookConfigurations, installCrds } from "./rollout/fixtures.ts";
import { CANARY_DEPLOYMENT, STATEFULSET } from "./rollout/scenario.ts";
import { standardRelease } from "./rollout/standard-release.ts";

let controller: SlipwayProcess;

beforeAll(async () => {
  await installCrds();
  controller = await startController("workload-kinds-tests");
}, 120_000);

afterAll(async () => {
  await controller?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

describe("releases of other workload kinds in steps 1 / 30% pause{} / 60% pause{5s} / 100%", () => {
  for (const [title, subject] of [
    [
      "a 10-replica Deployment in canary-deployment style runs the batch in <name>-canary and ends Healthy with the original handed back",
      CANARY_DEPLOYMENT,
    ],
    [
      "a 5-replica StatefulSet moves its partition step by step and ends Healthy with its original update strategy",
      STATEFULSET,
    ],
  ] as const) {
    it(
      title,
      async () => {
        await withNamespace(async (ns) => {
          try {
            await standardRelease(ns, subject);
          } catch (err) {
            throw new Error(`${(err as Error).message}\n${tail(controller)}\nnamespace ${ns}`, {
              cause: err,
            });
          }
        });
      },
      180_000,
    );
  }
});
