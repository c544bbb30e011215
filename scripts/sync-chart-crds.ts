// Copies crds/*.yaml (generated from src/api by gen-crds.ts) into charts/slipway/crds/, so the chart ships
// exactly the generated CRDs: crds/ stays the one source of truth. `--check` only compares and exits 1 when
// the chart's copies differ (what the unit test asserts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SOURCE_DIR = join(root, "crds");
export const CHART_CRD_DIR = join(root, "charts", "slipway", "crds");

const yamlFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
    : [];

/** Files that differ between crds/ and the chart: missing, stale or changed. */
export function chartCrdDifferences(): string[] {
  const source = yamlFiles(SOURCE_DIR);
  const chart = yamlFiles(CHART_CRD_DIR);
  const out: string[] = [];
  for (const file of source) {
    if (!chart.includes(file)) out.push(`${file}: missing from charts/slipway/crds`);
    else if (
      readFileSync(join(SOURCE_DIR, file), "utf8") !== readFileSync(join(CHART_CRD_DIR, file), "utf8")
    ) {
      out.push(`${file}: differs from crds/${file}`);
    }
  }
  for (const file of chart) if (!source.includes(file)) out.push(`${file}: not in crds/ (stale copy)`);
  return out;
}

export function syncChartCrds(): string[] {
  mkdirSync(CHART_CRD_DIR, { recursive: true });
  for (const file of yamlFiles(CHART_CRD_DIR)) {
    if (!yamlFiles(SOURCE_DIR).includes(file)) rmSync(join(CHART_CRD_DIR, file));
  }
  return yamlFiles(SOURCE_DIR).map((file) => {
    writeFileSync(join(CHART_CRD_DIR, file), readFileSync(join(SOURCE_DIR, file)));
    return `charts/slipway/crds/${file}`;
  });
}

if (import.meta.main) {
  if (process.argv.includes("--check")) {
    const differences = chartCrdDifferences();
    for (const d of differences) console.error(d);
    if (differences.length > 0) console.error("run: npm run gen:crds (or node scripts/sync-chart-crds.ts)");
    process.exitCode = differences.length === 0 ? 0 : 1;
  } else {
    for (const file of syncChartCrds()) console.log(`wrote ${file}`);
  }
}
