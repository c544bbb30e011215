// The Rollout the reconciler tests release: steps 1 / 30% pause{} / 60% pause{5s} / 100% on Deployment web.
import type { Rollout } from "../../api/rollout.ts";

export function testRollout(
  canary: Partial<Rollout["spec"]["strategy"]["canary"]> = {},
  spec: Partial<Rollout["spec"]> = {},
): Rollout {
  return {
    apiVersion: "rollouts.slipway.dev/v1alpha1",
    kind: "Rollout",
    metadata: { name: "web", namespace: "ns" },
    spec: {
      workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      strategy: {
        canary: {
          steps: [
            { replicas: 1 },
            { replicas: "30%", pause: {} },
            { replicas: "60%", pause: { duration: "5s" } },
            { replicas: "100%" },
          ],
          ...canary,
        },
      },
      ...spec,
    },
  };
}
