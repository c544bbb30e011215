// What `slipway plan -f rollout.yaml --replicas N -o json` prints, obtained by running the CLI in-process.
import type { KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { main } from "../../../src/cli/main.ts";

export interface PlannedStep {
  readonly step: number;
  readonly canaryReplicas: number;
  readonly stableReplicas: number;
}

export async function slipwayPlan(rollout: KubernetesObject, replicas: number): Promise<PlannedStep[]> {
  let out = "";
  let err = "";
  const code = await main(
    ["node", "slipway", "plan", "-f", "rollout.yaml", "--replicas", String(replicas), "-o", "json"],
    {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      readFile: () => Promise.resolve(stringify(rollout)),
      readStdin: () => Promise.resolve(""),
    },
  );
  if (code !== 0) throw new Error(`slipway plan failed (${code}): ${err}`);
  return JSON.parse(out) as PlannedStep[];
}
