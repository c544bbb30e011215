// Label selector strings (`a=b,c in (d,e),!f`) matched against labels, so LISTs the adapters ask for can be
// answered from the informer caches instead of the API server.

type Requirement =
  | { readonly op: "=" | "!="; readonly key: string; readonly value: string }
  | { readonly op: "in" | "notin"; readonly key: string; readonly values: readonly string[] }
  | { readonly op: "exists" | "!exists"; readonly key: string };

/** Splits on commas that are not inside parentheses. */
function parts(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += char;
  }
  out.push(current);
  return out.map((p) => p.trim()).filter((p) => p !== "");
}

export function parseSelector(selector: string): readonly Requirement[] {
  return parts(selector).map((part): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
    if (set?.[1] !== undefined && set[3] !== undefined) {
      const values = set[3]
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      return { op: set[2] === "in" ? "in" : "notin", key: set[1], values };
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (eq?.[1] !== undefined && eq[3] !== undefined) {
      return { op: eq[2] === "!=" ? "!=" : "=", key: eq[1], value: eq[3] };
    }
    if (part.startsWith("!")) return { op: "!exists", key: part.slice(1).trim() };
    if (/^\S+$/.test(part)) return { op: "exists", key: part };
    throw new Error(`label selector "${selector}": cannot read "${part}"`);
  });
}

export function matchesSelector(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const value = l[r.key];
    switch (r.op) {
      case "=":
        return value === r.value;
      case "!=":
        return value !== r.value;
      case "in":
        return value !== undefined && r.values.includes(value);
      case "notin":
        return value === undefined || !r.values.includes(value);
      case "exists":
        return value !== undefined;
      case "!exists":
        return value === undefined;
      default: {
        const unknown: never = r;
        throw new Error(`unknown selector requirement ${JSON.stringify(unknown)}`);
      }
    }
  });
}
