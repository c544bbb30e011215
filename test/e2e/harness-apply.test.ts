import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyYaml } from "./lib/index.ts";

describe("the e2e harness", () => {
  it("applies a CRD without losing its schema extensions", async () => {
    const [crd] = await applyYaml(readFileSync("crds/rollouts.slipway.dev_rollouts.yaml", "utf8"));
    expect(crd?.metadata?.name).toBe("rollouts.rollouts.slipway.dev");
    const raw = JSON.stringify(crd);
    expect(raw).toContain('"x-kubernetes-int-or-string":true');
    expect(raw).toContain('"x-kubernetes-validations"');
  });
});
