import { describe, expect, it } from "vitest";
import { adapterFor } from "./registry.ts";

describe("adapterFor", () => {
  it("finds one adapter per kind and Deployment style", () => {
    const partition = adapterFor({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(partition.ok && [partition.adapter.kind, partition.adapter.style]).toEqual([
      "Deployment",
      "partition",
    ]);
    const canary = adapterFor({ apiVersion: "apps/v1", kind: "Deployment" }, "canary-deployment");
    expect(canary.ok && canary.adapter.style).toBe("canary-deployment");
    const sts = adapterFor({ apiVersion: "apps/v1", kind: "StatefulSet" }, "canary-deployment");
    expect(sts.ok && sts.adapter.kind).toBe("StatefulSet");
    const cloneSet = adapterFor({ apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet" });
    expect(cloneSet.ok && [cloneSet.adapter.kind, cloneSet.adapter.style]).toEqual([
      "CloneSet",
      "cloneset-partition",
    ]);
  });

  it("names the field and what is supported when there is none", () => {
    const daemonSet = adapterFor({ apiVersion: "apps/v1", kind: "DaemonSet" });
    expect(daemonSet).toEqual({
      ok: false,
      problem:
        "spec.workloadRef apps/v1 DaemonSet is not supported (yet); supported: apps/v1 Deployment, apps/v1 StatefulSet, apps.kruise.io/v1alpha1 CloneSet",
    });
    const wrongVersion = adapterFor({ apiVersion: "extensions/v1beta1", kind: "Deployment" });
    expect(wrongVersion.ok).toBe(false);
  });
});
