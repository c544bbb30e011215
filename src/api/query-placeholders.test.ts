import { describe, expect, it } from "vitest";
import { queryPlaceholderProblems, scanPlaceholders } from "./query-placeholders.ts";

const declared = new Set(["service", "threshold"]);

describe("queryPlaceholderProblems", () => {
  it.each([
    ["no placeholder", "sum(rate(http_requests_total[1m]))"],
    [
      "declared arguments and every built-in",
      'x{s="{{args.service}}",c="{{canary.revision}}",st="{{stable.revision}}",r="{{rollout.name}}",n="{{rollout.namespace}}"}',
    ],
    ["spaces inside the braces", 'x{s="{{ args.service }}",c="{{  canary.revision}}"}'],
    ["a placeholder outside strings and in a comment", "x > {{args.threshold}} # {{rollout.name}}"],
    ["single-quoted and backtick strings", "x{a='{{args.service}}',b=`{{canary.revision}}`}"],
    ["the same placeholder twice", 'x{a="{{args.service}}"} / y{a="{{args.service}}"}'],
    ["a lone brace", 'x{a="{"} or y{b="}}"}'],
  ])("accepts %s", (_name, query) => {
    expect(queryPlaceholderProblems(query, declared)).toEqual([]);
  });

  it.each([
    [
      "an undeclared argument",
      'up{job="{{args.nope}}"}',
      [
        "uses {{args.nope}}, which the template does not declare: declare it in spec.args ({name: nope}; declared: service, threshold)",
      ],
    ],
    [
      "a misspelt argument",
      'up{job="{{args.servce}}"}',
      [
        "uses {{args.servce}}, which the template does not declare: did you mean {{args.service}}? Or declare it in spec.args ({name: servce}; declared: service, threshold)",
      ],
    ],
    [
      "a misspelt built-in variable",
      'up{x="{{ canary.revison }}"}',
      ["uses {{canary.revison}}, which is not a variable: did you mean {{canary.revision}}?"],
    ],
    [
      "an argument without the args. prefix",
      'up{x="{{service}}"}',
      ["uses {{service}}, which is not a variable: did you mean {{args.service}}?"],
    ],
    [
      "an unknown variable with nothing close",
      'up{x="{{canary.name}}"}',
      [
        "uses {{canary.name}}, which is not a variable: use {{args.<name>}} or one of {{canary.revision}}, {{stable.revision}}, {{rollout.name}}, {{rollout.namespace}}",
      ],
    ],
    [
      "an empty placeholder",
      'up{x="{{ }}"}',
      [expect.stringContaining("uses {{}}, which is not a variable")],
    ],
    [
      "an inherited property as an argument name",
      'up{x="{{args.constructor}}"}',
      [expect.stringContaining("uses {{args.constructor}}, which the template does not declare")],
    ],
    [
      "both problems of the reviewer's query, each once",
      'up{job="{{args.nope}}", x="{{ canary.revison }}", y="{{args.nope}}"}',
      [
        expect.stringContaining("{{args.nope}}"),
        expect.stringContaining("did you mean {{canary.revision}}?"),
      ],
    ],
    [
      "an unclosed placeholder",
      'up{job="{{args.service"}',
      ['"{{" at offset 8 is never closed with "}}": close the placeholder or remove the "{{"'],
    ],
  ])("refuses %s", (_name, query, problems) => {
    expect(queryPlaceholderProblems(query, declared)).toEqual(problems);
  });

  it("names no argument as declared when the template has none", () => {
    expect(queryPlaceholderProblems('x{a="{{args.a}}"}', new Set())).toEqual([
      expect.stringContaining("({name: a}; declared: none)"),
    ]);
  });
});

describe("scanPlaceholders", () => {
  it("records the lexical context of each placeholder", () => {
    const scan = scanPlaceholders(
      "x{a=\"{{args.a}}\",b='{{args.b}}',c=`{{args.c}}`} > {{args.d}} # {{args.e}}",
    );
    expect(scan.ok && scan.placeholders.map((p) => [p.name, p.context])).toEqual([
      ["args.a", "double"],
      ["args.b", "single"],
      ["args.c", "backtick"],
      ["args.d", "bare"],
      ["args.e", "bare"],
    ]);
  });
});
