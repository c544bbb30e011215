// Prometheus HTTP API responses (`/api/v1/query`), parsed with zod, and what they mean for a condition
// (SPEC §2.2): `result` is a list of doubles, one per series of an instant vector sorted by labels, or a
// one-element list for a scalar. An empty vector, NaN or ±Inf is "no data", for the metric's noData policy.
import { z } from "zod";

/** Sample values arrive as strings: "0.5", "NaN", "+Inf", "-Inf". */
const SampleSchema = z.tuple([z.number(), z.string()]);

const VectorSchema = z.object({
  resultType: z.literal("vector"),
  result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: SampleSchema })),
});
const ScalarSchema = z.object({ resultType: z.literal("scalar"), result: SampleSchema });
const OtherSchema = z.object({ resultType: z.enum(["matrix", "string"]) });

const SuccessSchema = z.object({
  status: z.literal("success"),
  data: z.discriminatedUnion("resultType", [VectorSchema, ScalarSchema, OtherSchema]),
  warnings: z.array(z.string()).optional(),
});
const ErrorSchema = z.object({
  status: z.literal("error"),
  errorType: z.string().optional(),
  error: z.string().optional(),
});
const ResponseSchema = z.discriminatedUnion("status", [SuccessSchema, ErrorSchema]);

/** Most series a query may return: conditions look at a handful; thousands mean a wrong query. */
export const MAX_SERIES = 1000;

/** A query's answer, as conditions see it. */
export type QueryResult =
  | { readonly kind: "values"; readonly values: readonly number[]; readonly text: string }
  | { readonly kind: "noData"; readonly why: string; readonly text: string };

export type ParsedResponse =
  | { readonly ok: true; readonly result: QueryResult; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Maps a response body (already JSON-decoded) and its HTTP status to a result or an error message. */
export function parsePrometheusResponse(body: unknown, httpStatus: number): ParsedResponse {
  const parsed = ResponseSchema.safeParse(body);
  if (!parsed.success) {
    const why = httpStatus >= 400 ? `HTTP ${httpStatus}` : "a body that is not a Prometheus API response";
    return { ok: false, error: `Prometheus answered with ${why} (${firstIssue(parsed.error)})` };
  }
  const response = parsed.data;
  if (response.status === "error") {
    const type = response.errorType === undefined ? "" : `${response.errorType}: `;
    return {
      ok: false,
      error: `Prometheus refused the query (HTTP ${httpStatus}): ${type}${response.error ?? "no message"}`,
    };
  }
  const warnings = response.warnings ?? [];
  const data = response.data;
  switch (data.resultType) {
    case "vector": {
      if (data.result.length > MAX_SERIES) {
        return {
          ok: false,
          error: `the query returned ${data.result.length} series (at most ${MAX_SERIES}): aggregate it, e.g. with sum(...)`,
        };
      }
      const sorted = [...data.result].sort((a, b) => compareLabels(a.metric, b.metric));
      const values = sorted.map((series) => parseSampleValue(series.value[1]));
      if (values.some((v) => v === undefined)) {
        return { ok: false, error: "Prometheus returned a sample value that is not a number" };
      }
      return { ok: true, result: classify(values as number[], true), warnings };
    }
    case "scalar": {
      const value = parseSampleValue(data.result[1]);
      if (value === undefined)
        return { ok: false, error: "Prometheus returned a scalar that is not a number" };
      return { ok: true, result: classify([value], false), warnings };
    }
    case "matrix":
    case "string":
      return {
        ok: false,
        error: `the query returned a ${data.resultType}, not an instant vector or scalar: remove the range selector or wrap it in a function such as rate(...)`,
      };
    default: {
      const unknown: never = data;
      throw new Error(`unknown result type ${JSON.stringify(unknown)}`);
    }
  }
}

/** Go's strconv.ParseFloat spellings Prometheus uses. */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    default: {
      if (text.trim() === "") return undefined;
      const value = Number(text);
      return Number.isNaN(value) ? undefined : value;
    }
  }
}

/**
 * Any non-finite value makes the whole measurement "no data": a NaN (0/0 at low traffic) or Inf in one
 * series would otherwise silently shift `result[i]` onto another series if it were dropped.
 */
function classify(values: readonly number[], vector: boolean): QueryResult {
  const text = formatValues(values, vector);
  if (values.length === 0) return { kind: "noData", why: "the query returned an empty vector", text };
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const where = values.length > 1 ? ` (series ${bad + 1} of ${values.length})` : "";
    return {
      kind: "noData",
      why: `the query returned ${formatNumber(values[bad] ?? Number.NaN)}${where}`,
      text,
    };
  }
  return { kind: "values", values, text };
}

/** "0.998" for one value, "[0.1, 0.2]" for several, "[]" for none. */
export function formatValues(values: readonly number[], vector: boolean): string {
  if (values.length === 1 && values[0] !== undefined) return formatNumber(values[0]);
  if (!vector && values.length === 0) return "";
  return `[${values.map(formatNumber).join(", ")}]`;
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(Number(value.toPrecision(6)));
}

/** Orders series by their label sets: label names sorted, then compared pair by pair. */
export function compareLabels(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    const na = ka[i] ?? "";
    const nb = kb[i] ?? "";
    if (na !== nb) return na < nb ? -1 : 1;
    const va = a[na] ?? "";
    const vb = b[nb] ?? "";
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "unexpected shape";
  const path = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${path}${issue.message}`;
}
