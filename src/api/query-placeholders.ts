// Placeholders in a PromQL query (SPEC §2.2): `{{args.x}}`, `{{canary.revision}}`, `{{stable.revision}}`,
// `{{rollout.name}}`, `{{rollout.namespace}}`, spaces inside the braces allowed. One lexer serves both the
// substitution at measurement time (src/analysis/substitute.ts) and the check at admission and in
// `slipway lint` (queryPlaceholderProblems), so a placeholder admission accepts always resolves later.
import { closeMatches } from "./problems.ts";

export const BUILT_IN_VARIABLES = [
  "canary.revision",
  "stable.revision",
  "rollout.name",
  "rollout.namespace",
] as const;

export type PlaceholderContext = "double" | "single" | "backtick" | "bare";

export interface Placeholder {
  readonly start: number;
  readonly end: number;
  /** The text between the braces, trimmed. */
  readonly name: string;
  readonly context: PlaceholderContext;
}

export type PlaceholderScan =
  | { readonly ok: true; readonly placeholders: readonly Placeholder[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Walks the query like the PromQL lexer and records each placeholder with the context it stands in. */
export function scanPlaceholders(template: string): PlaceholderScan {
  const placeholders: Placeholder[] = [];
  let context: PlaceholderContext | "comment" = "bare";
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if (ch === "{" && template[i + 1] === "{") {
      const close = template.indexOf("}}", i + 2);
      if (close < 0) {
        return {
          ok: false,
          problems: [
            `"{{" at offset ${i} is never closed with "}}": close the placeholder or remove the "{{"`,
          ],
        };
      }
      const name = template.slice(i + 2, close).trim();
      // Inside a comment the value could end the comment with a newline: treat it like bare text.
      placeholders.push({
        start: i,
        end: close + 2,
        name,
        context: context === "comment" ? "bare" : context,
      });
      i = close + 2;
      continue;
    }
    context = advance(context, template, i);
    // A backslash in a quoted string escapes the next character (which therefore cannot close it).
    i += (context === "double" || context === "single") && ch === "\\" ? 2 : 1;
  }
  return { ok: true, placeholders };
}

/** The lexical context after the character at `i`. */
function advance(
  context: PlaceholderContext | "comment",
  text: string,
  i: number,
): PlaceholderContext | "comment" {
  const ch = text[i];
  switch (context) {
    case "bare":
      if (ch === '"') return "double";
      if (ch === "'") return "single";
      if (ch === "`") return "backtick";
      if (ch === "#") return "comment";
      return "bare";
    case "double":
      return ch === '"' ? "bare" : "double";
    case "single":
      return ch === "'" ? "bare" : "single";
    case "backtick":
      return ch === "`" ? "bare" : "backtick";
    case "comment":
      return ch === "\n" ? "bare" : "comment";
    default: {
      const unknown: never = context;
      throw new Error(`unknown context ${String(unknown)}`);
    }
  }
}

/**
 * What can never resolve in a query, whatever the Rollout passes: an unclosed `{{`, an argument the
 * template does not declare (`declared`: the names in spec.args), a name that is no variable. One message
 * per bad placeholder, naming it and the fix.
 */
export function queryPlaceholderProblems(query: string, declared: ReadonlySet<string>): string[] {
  const scan = scanPlaceholders(query);
  if (!scan.ok) return [...scan.problems];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const { name } of scan.placeholders) {
    if (seen.has(name)) continue;
    seen.add(name);
    const problem = placeholderProblem(name, declared);
    if (problem !== undefined) out.push(problem);
  }
  return out;
}

function placeholderProblem(name: string, declared: ReadonlySet<string>): string | undefined {
  const args = [...declared].map((a) => `args.${a}`);
  if (name.startsWith("args.")) {
    const arg = name.slice(5);
    if (declared.has(arg)) return undefined;
    const close = closeMatches(name, args);
    const hint = close.length > 0 ? `did you mean ${alternatives(close)}? Or ` : "";
    return (
      `uses {{${name}}}, which the template does not declare: ${hint}declare it in spec.args ` +
      `({name: ${arg || "<name>"}}; declared: ${declared.size > 0 ? [...declared].join(", ") : "none"})`
    );
  }
  if ((BUILT_IN_VARIABLES as readonly string[]).includes(name)) return undefined;
  const close = declared.has(name) ? [`args.${name}`] : closeMatches(name, [...BUILT_IN_VARIABLES, ...args]);
  const fix =
    close.length > 0
      ? `did you mean ${alternatives(close)}?`
      : `use {{args.<name>}} or one of ${BUILT_IN_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`;
  return `uses {{${name}}}, which is not a variable: ${fix}`;
}

function alternatives(names: readonly string[]): string {
  return names.map((n) => `{{${n}}}`).join(" or ");
}
