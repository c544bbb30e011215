// Colours for the terminal, or none: every rendering goes through one Style so the plain and the coloured
// output are the same text, and golden tests cover both by stripping nothing.

export interface Style {
  readonly ok: (text: string) => string;
  readonly warn: (text: string) => string;
  readonly bad: (text: string) => string;
  readonly info: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

const plain = (text: string): string => text;

export const PLAIN: Style = { ok: plain, warn: plain, bad: plain, info: plain, dim: plain, bold: plain };

const ansi =
  (open: number, close: number) =>
  (text: string): string =>
    text === "" ? text : `\u001b[${open}m${text}\u001b[${close}m`;

export const ANSI: Style = {
  ok: ansi(32, 39),
  warn: ansi(33, 39),
  bad: ansi(31, 39),
  info: ansi(36, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
};

export function styleFor(color: boolean): Style {
  return color ? ANSI : PLAIN;
}

/** Removes ANSI sequences: widths are measured on what the eye sees. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
