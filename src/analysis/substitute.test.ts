import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { argumentsUsed, escapePromQLString, substituteQuery, type QueryVariables } from "./substitute.ts";

const vars = (args: Record<string, string> = {}): QueryVariables => ({
  args,
  canary: { revision: "7c9d8b6f5" },
  stable: { revision: "5d8f9c7b6" },
  rollout: { name: "web", namespace: "shop" },
});

/**
 * Splits a PromQL text the way its lexer does: what lies outside string literals (the structure of the
 * query) and the decoded contents of each literal. Independent of the code under test.
 */
function lex(query: string): { structure: string; strings: string[] } {
  let structure = "";
  const strings: string[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i] ?? "";
    if (ch === '"' || ch === "'" || ch === "`") {
      let text = "";
      i++;
      while (i < query.length && query[i] !== ch) {
        if (ch !== "`" && query[i] === "\\") {
          const next = query[i + 1] ?? "";
          if (next === "x") {
            text += String.fromCharCode(parseInt(query.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          text += ({ n: "\n", r: "\r", t: "\t" } as Record<string, string>)[next] ?? next;
          i += 2;
          continue;
        }
        text += query[i];
        i++;
      }
      if (i >= query.length) throw new Error(`unterminated string in ${query}`);
      strings.push(text);
      structure += `${ch}S${ch}`;
      i++;
      continue;
    }
    structure += ch;
    i++;
  }
  return { structure, strings };
}

describe("escapePromQLString", () => {
  it.each([
    ["plain", "web", "web"],
    ["double quote", 'a"b', 'a\\"b'],
    ["backslash", "a\\b", "a\\\\b"],
    ["newline", "a\nb", "a\\nb"],
    ["carriage return and tab", "a\r\tb", "a\\r\\tb"],
    ["other control characters", "a\u0000b\u001fc\u007f", "a\\x00b\\x1fc\\x7f"],
    ["single quote stays in a double-quoted string", "it's", "it's"],
    ["unicode stays", "zürich ✓", "zürich ✓"],
  ])("%s", (_name, input, expected) => {
    expect(escapePromQLString(input, '"')).toBe(expected);
  });

  it("escapes the single quote (and only it) for single-quoted strings", () => {
    expect(escapePromQLString(`a'b"c`, "'")).toBe(`a\\'b"c`);
  });
});

describe("substituteQuery", () => {
  it("substitutes arguments and the built-in variables, spaces inside braces allowed", () => {
    const out = substituteQuery(
      'x{service="{{args.service}}",rev="{{ canary.revision }}",old="{{stable.revision}}",r="{{rollout.name}}",ns="{{rollout.namespace}}"}',
      vars({ service: "checkout" }),
    );
    expect(out).toEqual({
      ok: true,
      query: 'x{service="checkout",rev="7c9d8b6f5",old="5d8f9c7b6",r="web",ns="shop"}',
    });
  });

  it('keeps `"} or vector(1) #` inside the label matcher', () => {
    const evil = '"} or vector(1) #';
    const out = substituteQuery(
      'sum(rate(http_requests_total{service="{{args.service}}"}[1m]))',
      vars({ service: evil }),
    );
    expect(out).toEqual({
      ok: true,
      query: 'sum(rate(http_requests_total{service="\\"} or vector(1) #"}[1m]))',
    });
    if (!out.ok) return;
    const lexed = lex(out.query);
    expect(lexed.structure).toBe('sum(rate(http_requests_total{service="S"}[1m]))');
    expect(lexed.strings).toEqual([evil]);
  });

  it("escapes for the quote in use: single-quoted strings", () => {
    const out = substituteQuery("x{a='{{args.v}}'}", vars({ v: `'} or vector(1) #"` }));
    expect(out.ok && lex(out.query)).toEqual({ structure: "x{a='S'}", strings: [`'} or vector(1) #"`] });
  });

  it("refuses a backtick in a raw backtick string, and allows other text there", () => {
    expect(substituteQuery("x{a=`{{args.v}}`}", vars({ v: "a`b" }))).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("{{args.v}} stands in a raw `backtick` string")],
    });
    expect(substituteQuery("x{a=`{{args.v}}`}", vars({ v: 'a"b\\' }))).toEqual({
      ok: true,
      query: 'x{a=`a"b\\`}',
    });
  });

  it("allows a plain token outside strings (range, threshold) and refuses anything else there", () => {
    expect(
      substituteQuery("rate(x[{{args.window}}]) > {{args.t}}", vars({ window: "5m", t: "0.99" })),
    ).toEqual({
      ok: true,
      query: "rate(x[5m]) > 0.99",
    });
    const out = substituteQuery("rate(x[{{args.window}}])", vars({ window: "5m]) or vector(1) #" }));
    expect(out).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("stands outside a quoted string")],
    });
  });

  it("treats a placeholder in a comment like bare text (a newline would end the comment)", () => {
    const out = substituteQuery("x # {{args.v}}\n", vars({ v: "a\nvector(1)" }));
    expect(out.ok).toBe(false);
  });

  it("does not let an escaped quote in the template end the string early", () => {
    const out = substituteQuery('x{a="q\\"{{args.v}}"}', vars({ v: '"' }));
    expect(out.ok && lex(out.query)).toEqual({ structure: 'x{a="S"}', strings: ['q""'] });
  });

  it("reports unknown variables and undeclared arguments with the fix", () => {
    const out = substituteQuery('x{a="{{args.nope}}",b="{{canary.name}}"}', vars({ service: "web" }));
    expect(out).toEqual({
      ok: false,
      problems: [
        "{{args.nope}} names no argument: declare {name: nope} in the template's spec.args (arguments: service)",
        "{{canary.name}} is not a variable: use {{args.<name>}}, {{canary.revision}}, {{stable.revision}}, {{rollout.name}}, {{rollout.namespace}}",
      ],
    });
  });

  it("reports an unclosed placeholder", () => {
    expect(substituteQuery('x{a="{{args.v"}', vars({ v: "1" }))).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("never closed")],
    });
  });

  it("does not read inherited properties as arguments", () => {
    expect(substituteQuery('x{a="{{args.constructor}}"}', vars()).ok).toBe(false);
  });

  it("lists the arguments a query uses", () => {
    expect(
      argumentsUsed('x{a="{{args.a}}",b="{{ args.b }}",c="{{args.a}}",d="{{canary.revision}}"}'),
    ).toEqual(["a", "b"]);
  });

  it("property: no value changes the structure of a query; each literal decodes to the value", () => {
    const template =
      'sum(rate(m{a="{{args.v}}",b=\'{{args.v}}\'}[1m])) / sum(rate(m{c="x{{args.v}}y"}[1m])) # end';
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        const out = substituteQuery(template, vars({ v: value }));
        if (!out.ok) return false;
        const lexed = lex(out.query);
        expect(lexed.structure).toBe(`sum(rate(m{a="S",b='S'}[1m])) / sum(rate(m{c="S"}[1m])) # end`);
        expect(lexed.strings).toEqual([value, value, `x${value}y`]);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
