// Template substitution for PromQL queries (SPEC §2.2): `{{args.x}}`, `{{canary.revision}}`,
// `{{stable.revision}}`, `{{rollout.name}}`, `{{rollout.namespace}}` (spaces inside the braces allowed).
//
// A value must never change the structure of the query. So the query is lexed the way PromQL lexes it
// (double-quoted, single-quoted and backtick strings, `#` comments) and each placeholder is rendered for
// the context it stands in: escaped for the quote that encloses it, refused in a raw backtick string when
// it holds a backtick, and limited to a plain token (`5m`, `0.99`, `http_requests_total`) outside strings,
// where no escaping could make an arbitrary text harmless. The lexer is src/api/query-placeholders.ts,
// which admission uses to refuse placeholders that could never resolve.
import {
  BUILT_IN_VARIABLES,
  scanPlaceholders,
  type PlaceholderContext as Context,
} from "../api/query-placeholders.ts";

export interface QueryVariables {
  readonly args: Readonly<Record<string, string>>;
  readonly canary: { readonly revision: string };
  readonly stable: { readonly revision: string };
  readonly rollout: { readonly name: string; readonly namespace: string };
}

export type Substitution =
  | { readonly ok: true; readonly query: string }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Renders `template` with `vars`; every problem names the placeholder and the fix. */
export function substituteQuery(template: string, vars: QueryVariables): Substitution {
  const scan = scanPlaceholders(template);
  if (!scan.ok) return scan;
  const problems: string[] = [];
  let out = "";
  let at = 0;
  for (const p of scan.placeholders) {
    out += template.slice(at, p.start);
    at = p.end;
    const value = lookup(p.name, vars);
    if (value === undefined) {
      problems.push(unknownVariable(p.name, vars));
      continue;
    }
    const rendered = render(value, p.context);
    if (typeof rendered === "string") out += rendered;
    else problems.push(`{{${p.name}}} ${rendered.problem}`);
  }
  out += template.slice(at);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, query: out };
}

function lookup(name: string, vars: QueryVariables): string | undefined {
  if (name.startsWith("args.")) {
    const arg = name.slice(5);
    return Object.hasOwn(vars.args, arg) ? vars.args[arg] : undefined;
  }
  switch (name) {
    case "canary.revision":
      return vars.canary.revision;
    case "stable.revision":
      return vars.stable.revision;
    case "rollout.name":
      return vars.rollout.name;
    case "rollout.namespace":
      return vars.rollout.namespace;
    default:
      return undefined;
  }
}

function unknownVariable(name: string, vars: QueryVariables): string {
  if (name.startsWith("args.")) {
    const known = Object.keys(vars.args);
    return (
      `{{${name}}} names no argument: declare {name: ${name.slice(5)}} in the template's spec.args ` +
      `(arguments: ${known.length > 0 ? known.join(", ") : "none"})`
    );
  }
  return `{{${name}}} is not a variable: use {{args.<name>}}, ${BUILT_IN_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`;
}

/** Renders a value for the lexical context it is placed in, or says why it cannot be placed there. */
export function render(value: string, context: Context): string | { readonly problem: string } {
  switch (context) {
    case "double":
      return escapePromQLString(value, '"');
    case "single":
      return escapePromQLString(value, "'");
    case "backtick":
      return value.includes("`")
        ? {
            problem:
              "stands in a raw `backtick` string and its value contains a backtick: use a double-quoted string",
          }
        : value;
    case "bare":
      return BARE_TOKEN.test(value)
        ? value
        : {
            problem:
              `stands outside a quoted string, so its value may only contain letters, digits, '_', ':', '.', ` +
              `'+' and '-' (got ${JSON.stringify(value)}): put the placeholder inside "double quotes" for a label value`,
          };
    default: {
      const unknown: never = context;
      throw new Error(`unknown context ${String(unknown)}`);
    }
  }
}

const BARE_TOKEN = /^[A-Za-z0-9_:.+-]+$/;

/**
 * Escapes `value` for a PromQL string literal opened with `quote` (the lexer accepts Go escapes: `\\`,
 * the opening quote, `\n`, `\r`, `\t`, `\xHH`, …). Control characters become `\xHH`, so the result is
 * one line and the string can only end at the quote the template wrote.
 */
export function escapePromQLString(value: string, quote: '"' | "'"): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}
