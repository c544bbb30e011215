// The Helm chart ships the generated CRDs unchanged: crds/ is the one source of truth.
import { describe, expect, it } from "vitest";
import { chartCrdDifferences } from "../../scripts/sync-chart-crds.ts";

describe("charts/slipway/crds", () => {
  it("holds exactly the files of crds/, byte for byte (fix: npm run gen:crds)", () => {
    expect(chartCrdDifferences()).toEqual([]);
  });
});
