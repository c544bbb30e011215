// Offline refinements of where a list-level CEL rule failed. The API server can only report the list
// (a rule cannot point at "the third step"); `slipway lint` can, so it names the first offending item.
// These run only after the CEL rule itself failed; cel-locators.test.ts proves each locator finds an
// item exactly when its rule rejects the object.
import { RULES } from "./cel-rules.ts";

/** Returns a path relative to the rule's node (`[2].replicas`, `.steps[0].traffic`), or undefined. */
export type Locator = (self: unknown) => string | undefined;

type Item = Readonly<Record<string, unknown>>;

function items(value: unknown): readonly Item[] {
  return Array.isArray(value) ? value.filter((v): v is Item => typeof v === "object" && v !== null) : [];
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Item)[key] : undefined;
}

const PCT = /^([0-9]{1,3})%$/;

function percentOf(v: unknown): number | undefined {
  const m = typeof v === "string" ? PCT.exec(v) : null;
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** First step whose value (as extracted) is lower than an earlier extracted value. */
function firstDecrease(key: string, extract: (v: unknown) => number | undefined): Locator {
  return (self) => {
    let max = -Infinity;
    for (const [i, step] of items(self).entries()) {
      const v = extract(step[key]);
      if (v === undefined) continue;
      if (v < max) return `[${i}].${key}`;
      max = v;
    }
    return undefined;
  };
}

function firstStep(predicate: (step: Item) => string | undefined): Locator {
  return (self) => {
    for (const [i, step] of items(field(self, "steps")).entries()) {
      const key = predicate(step);
      if (key !== undefined) return `.steps[${i}].${key}`;
    }
    return undefined;
  };
}

const [intOrder, percentOrder, trafficOrder] = RULES.steps;
const [trafficNeedsRouting, nginxOneHeader] = RULES.canary;
const [nameLength] = RULES.rolloutRoot;

export const LOCATORS: ReadonlyMap<string, Locator> = new Map<string, Locator>([
  // A root rule's path would be empty; the rule is about metadata.name.
  [
    nameLength.rule,
    (self) =>
      String(field(field(self, "metadata"), "name") ?? "").length > 63 ? "metadata.name" : undefined,
  ],
  [intOrder.rule, firstDecrease("replicas", (v) => (Number.isInteger(v) ? (v as number) : undefined))],
  [percentOrder.rule, firstDecrease("replicas", percentOf)],
  [trafficOrder.rule, firstDecrease("traffic", percentOf)],
  [
    trafficNeedsRouting.rule,
    (self) =>
      field(self, "trafficRouting") === undefined
        ? firstStep((s) => ("traffic" in s ? "traffic" : "matches" in s ? "matches" : undefined))(self)
        : undefined,
  ],
  [
    nginxOneHeader.rule,
    (self) =>
      field(field(self, "trafficRouting"), "nginx") === undefined
        ? undefined
        : firstStep((s) => {
            const matches = s["matches"];
            if (matches === undefined) return undefined;
            const list = items(matches);
            const ok =
              list.length === 1 &&
              Array.isArray(field(list[0], "headers")) &&
              items(field(list[0], "headers")).length === 1;
            return ok ? undefined : "matches";
          })(self),
  ],
]);
