import { describe, expect, it } from "vitest";
import { planReplicaMoves, type MoveLimits, type ReplicaGroup } from "./replica-moves.ts";

/** A group whose pods all exist and are available unless said otherwise. */
function g(id: string, desired: number, target: number, pods: Partial<ReplicaGroup> = {}): ReplicaGroup {
  return { id, desired, target, pods: desired, ready: desired, available: desired, ...pods };
}

const limits = (
  replicas: number,
  maxSurge: number,
  maxUnavailable: number,
  quietController = true,
): MoveLimits => ({
  replicas,
  maxSurge,
  maxUnavailable,
  quietController,
});

describe("planReplicaMoves", () => {
  const cases: {
    name: string;
    groups: ReplicaGroup[];
    limits: MoveLimits;
    moves: [string, number, number][];
  }[] = [
    {
      name: "surge first: the canary grows by maxSurge, stable waits for it to be available",
      groups: [g("canary", 0, 3), g("stable", 10, 7)],
      limits: limits(10, 3, 0),
      moves: [["canary", 0, 3]],
    },
    {
      name: "once canary pods are available, stable shrinks to its target",
      groups: [g("canary", 3, 3), g("stable", 10, 7)],
      limits: limits(10, 3, 0),
      moves: [["stable", 10, 7]],
    },
    {
      name: "scale-up and scale-down in one plan when both bounds allow, up first",
      groups: [g("canary", 0, 3), g("stable", 10, 7)],
      limits: limits(10, 2, 2),
      moves: [
        ["canary", 0, 2],
        ["stable", 10, 8],
      ],
    },
    {
      name: "maxSurge 0: one pod of surge so the lone stable ReplicaSet is never reset by the paused controller",
      groups: [g("canary", 0, 3), g("stable", 10, 7)],
      limits: limits(10, 0, 2),
      moves: [
        ["canary", 0, 1],
        ["stable", 10, 8],
      ],
    },
    {
      name: "without the paused controller to appease, maxSurge 0 means scaling down first",
      groups: [g("canary", 0, 3), g("stable", 10, 7)],
      limits: limits(10, 0, 2, false),
      moves: [["stable", 10, 8]],
    },
    {
      name: "the last stable pod is not removed while the canary would be left alone below N",
      groups: [g("canary", 9, 10), g("stable", 1, 0)],
      limits: limits(10, 0, 1),
      moves: [
        ["canary", 9, 10],
        ["stable", 1, 0],
      ],
    },
    {
      name: "unready canary pods are removed at once on abort: they cost no availability",
      groups: [g("stable", 7, 10), g("canary", 3, 0, { ready: 0, available: 0 })],
      limits: limits(10, 3, 1),
      moves: [
        ["stable", 7, 10],
        ["canary", 3, 0],
      ],
    },
    {
      name: "with maxSurge 0, one unready canary pod stays until stable is back at N (no lone ReplicaSet below N)",
      groups: [g("stable", 7, 10), g("canary", 3, 0, { ready: 0, available: 0 })],
      limits: limits(10, 0, 1),
      moves: [
        ["stable", 7, 8],
        ["canary", 3, 1],
      ],
    },
    {
      name: "pods still terminating count towards the surge: no scale-up until they are gone",
      groups: [g("canary", 2, 4, { pods: 2 }), g("stable", 8, 6, { pods: 10, ready: 10, available: 10 })],
      limits: limits(10, 2, 0),
      moves: [],
    },
    {
      name: "raising a spec back up to pods that still exist is free",
      groups: [g("stable", 8, 10, { pods: 10, ready: 10, available: 10 }), g("canary", 2, 0)],
      limits: limits(10, 0, 1),
      moves: [
        ["stable", 8, 10],
        ["canary", 2, 0],
      ],
    },
    {
      name: "ready pods that are not yet available (minReadySeconds) are not counted on",
      groups: [g("canary", 0, 5), g("stable", 10, 5, { ready: 10, available: 8 })],
      limits: limits(10, 0, 3, false),
      moves: [["stable", 10, 9]],
    },
    {
      name: "a superseded canary drains before stable shrinks (shrinking goes in reverse order)",
      groups: [g("canary", 0, 0), g("stable", 6, 10), g("old-canary", 4, 0)],
      limits: limits(10, 2, 2),
      moves: [
        ["stable", 6, 8],
        ["old-canary", 4, 2],
      ],
    },
    {
      name: "nothing to do at the target",
      groups: [g("canary", 3, 3), g("stable", 7, 7)],
      limits: limits(10, 1, 1),
      moves: [],
    },
    {
      name: "N=1 with maxSurge 0 moves its single pod through a one-pod surge",
      groups: [g("canary", 0, 1), g("stable", 1, 0)],
      limits: limits(1, 0, 1),
      moves: [
        ["canary", 0, 1],
        ["stable", 1, 0],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const moves = planReplicaMoves(c.groups, c.limits).map((m) => [m.id, m.from, m.to]);
      expect(moves).toEqual(c.moves);
    });
  }
});
