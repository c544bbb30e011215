// The webhook's HTTP paths (SPEC §4); shared by the server and the webhook configurations.

export const PATHS = {
  mutateWorkload: "/mutate-workload",
  validateRollout: "/validate-rollout",
  mutateRollout: "/mutate-rollout",
} as const;
