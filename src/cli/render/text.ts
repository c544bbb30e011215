// Small text helpers for fixed-width terminal output: bars, word wrapping, durations and ages.
import { formatDuration } from "../../api/primitives.ts";
import { visible } from "./style.ts";

export interface BarPart {
  readonly units: number;
  readonly char: string;
  readonly paint?: (text: string) => string;
}

/**
 * A bar `width` cells wide whose parts are proportional to their units. Rounds so that any non-zero part
 * shows at least one cell (one canary pod out of 100 must be visible) and the cells always add up.
 */
export function bar(width: number, parts: readonly BarPart[], fill = "░"): string {
  const total = parts.reduce((sum, p) => sum + Math.max(0, p.units), 0);
  if (total === 0 || width <= 0) return fill.repeat(Math.max(0, width));
  const cells = parts.map((p) => (p.units <= 0 ? 0 : Math.max(1, Math.round((p.units / total) * width))));
  let excess = cells.reduce((a, b) => a + b, 0) - width;
  // Take surplus cells from the largest parts; never shrink a non-zero part below one cell.
  while (excess > 0) {
    let largest = 0;
    for (let i = 1; i < cells.length; i += 1) if ((cells[i] ?? 0) > (cells[largest] ?? 0)) largest = i;
    if ((cells[largest] ?? 0) <= 1) break;
    cells[largest] = (cells[largest] ?? 0) - 1;
    excess -= 1;
  }
  const drawn = parts.map((p, i) => {
    const text = p.char.repeat(cells[i] ?? 0);
    return p.paint ? p.paint(text) : text;
  });
  const used = cells.reduce((a, b) => a + b, 0);
  return drawn.join("") + fill.repeat(Math.max(0, width - used));
}

/** Splits `text` into lines of at most `width` characters at spaces (long words are cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter((w) => w !== "")) {
      let rest = word;
      while (rest.length > width) {
        if (line !== "") {
          lines.push(line);
          line = "";
        }
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (line === "") line = rest;
      else if (line.length + 1 + rest.length <= width) line = `${line} ${rest}`;
      else {
        lines.push(line);
        line = rest;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** `text` wrapped to `width`, every line after the first indented by `indent` spaces. */
export function hang(first: string, text: string, width: number): string[] {
  const indent = " ".repeat(first.length);
  return wrap(text, Math.max(10, width - first.length)).map(
    (line, i) => `${i === 0 ? first : indent}${line}`,
  );
}

/** Whole seconds between two instants, as "1m12s" (never negative). */
export function elapsed(fromIso: string | undefined, toMs: number): string | undefined {
  if (fromIso === undefined) return undefined;
  const from = Date.parse(fromIso);
  if (Number.isNaN(from)) return undefined;
  return formatDuration(Math.max(0, Math.floor((toMs - from) / 1000)));
}

/** kubectl's AGE column: the largest unit only ("5m", "3h", "2d"). */
export function age(fromIso: string | undefined, nowMs: number): string {
  if (fromIso === undefined) return "<unknown>";
  const seconds = Math.max(0, Math.floor((nowMs - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(seconds)) return "<unknown>";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** Lays whole tokens (which may carry colour) out in lines of at most `width` visible characters. */
export function flow(tokens: readonly string[], width: number, separator = "  "): string[] {
  const lines: string[] = [];
  let line = "";
  let used = 0;
  for (const token of tokens) {
    const size = visible(token).length;
    if (line !== "" && used + separator.length + size > width) {
      lines.push(line);
      line = "";
      used = 0;
    }
    line = line === "" ? token : `${line}${separator}${token}`;
    used += (used === 0 ? 0 : separator.length) + size;
  }
  if (line !== "") lines.push(line);
  return lines;
}
