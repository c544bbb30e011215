/* eslint-disable @typescript-eslint/no-explicit-any -- reads the generated CRD object */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Environment } from "@marcbachmann/cel-js";
import { describe, expect, it } from "vitest";
import { ALL_KINDS, crdFor, KINDS, openApiSchemaFor } from "./crd.ts";
import { CRD_HEADER, renderCrds } from "./crd-yaml.ts";
import type { JsonSchema } from "./structural.ts";

const root = join(import.meta.dirname, "..", "..");

function* nodes(schema: JsonSchema, path = ""): Generator<[string, JsonSchema]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
}

describe("generated CRDs", () => {
  it.each(renderCrds().map((c) => [c.file, c.yaml]))(
    "crds/%s is up to date (run npm run gen:crds)",
    (file, yaml) => {
      expect(readFileSync(join(root, "crds", file), "utf8")).toBe(yaml);
    },
  );

  it("start with the do-not-edit header", () => {
    for (const { yaml } of renderCrds()) expect(yaml.startsWith(CRD_HEADER)).toBe(true);
  });

  it("bound every list and free-form string (the API server's CEL cost estimate needs it)", () => {
    const unbounded: string[] = [];
    for (const kind of ALL_KINDS) {
      for (const [path, node] of nodes(openApiSchemaFor(kind))) {
        if (node.type === "array" && node.maxItems === undefined) unbounded.push(`${kind}${path}`);
        const free = node.type === "string" && !node.enum && node.format === undefined;
        if (
          free &&
          node.maxLength === undefined &&
          !path.endsWith(".apiVersion") &&
          !path.endsWith(".kind")
        ) {
          unbounded.push(`${kind}${path}`);
        }
      }
    }
    expect(unbounded).toEqual([]);
  });

  it("mark int-or-string fields and keep status.workflow opaque", () => {
    const rollout = openApiSchemaFor("Rollout");
    const step =
      rollout.properties?.["spec"]?.properties?.["strategy"]?.properties?.["canary"]?.properties?.["steps"]
        ?.items;
    expect(step?.properties?.["replicas"]).toMatchObject({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
    });
    expect(rollout.properties?.["status"]?.properties?.["workflow"]).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it("hold only rules the offline evaluator can compile", () => {
    const env = new Environment()
      .registerVariable("self", "dyn")
      .registerFunction("list.isSorted(): bool", () => true);
    for (const kind of ALL_KINDS) {
      for (const [, node] of nodes(openApiSchemaFor(kind))) {
        for (const rule of node["x-kubernetes-validations"] ?? []) {
          const withOld = rule.rule.includes("oldSelf")
            ? env.clone().registerVariable("oldSelf", "dyn")
            : env;
          expect(() => withOld.parse(rule.rule), rule.rule).not.toThrow();
        }
      }
    }
  });

  it("name, scope and columns", () => {
    const rollout = crdFor("Rollout") as { spec: Record<string, any> };
    expect(rollout.spec["names"]).toMatchObject({
      shortNames: ["sro"],
      categories: ["slipway"],
      plural: "rollouts",
    });
    expect(rollout.spec["scope"]).toBe("Namespaced");
    expect(rollout.spec["versions"][0].subresources).toEqual({ status: {} });
    expect(rollout.spec["versions"][0].additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(
      ["Phase", "Step", "State", "Weight", "Message", "Workload", "Age"],
    );
    expect(KINDS.ClusterAnalysisTemplate.scope).toBe("Cluster");
    expect(KINDS.AnalysisTemplate.scope).toBe("Namespaced");
  });
});
