// Writes crds/*.yaml from the zod schemas in src/api (npm run gen:crds). Never edit crds/ by hand.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderCrds } from "../src/api/crd-yaml.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "crds");
mkdirSync(dir, { recursive: true });
for (const { file, yaml } of renderCrds()) {
  writeFileSync(join(dir, file), yaml);
  console.log(`wrote crds/${file}`);
}
