// vitest setup file of the e2e project: every test file starts and ends without Slipway's webhook
// configurations. A controller or webhook started by an earlier file (possibly killed with SIGKILL) leaves
// configurations behind whose URL points at a port nobody serves; with failurePolicy Fail they would refuse
// every later write of Rollouts and attached workloads.
import { afterAll, beforeAll } from "vitest";
import { WEBHOOK_CONFIGURATION_NAME } from "../../../src/api/names.ts";
import { clients, statusCode } from "./clients.ts";
import { currentCluster } from "./context.ts";

async function removeWebhookConfigurations(): Promise<void> {
  // On a cluster with Slipway installed by its chart (npm run e2e:kind) the configurations are the product's.
  if (!currentCluster().local) return;
  const { admission } = clients();
  for (const remove of [
    () => admission.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION_NAME }),
    () => admission.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION_NAME }),
  ]) {
    try {
      await remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}

beforeAll(removeWebhookConfigurations);
afterAll(removeWebhookConfigurations);
