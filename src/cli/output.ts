// `-o json|yaml` for the commands that print objects, as kubectl prints them.
import { stringify } from "yaml";
import type { CliIo } from "./io.ts";

export const OBJECT_FORMATS = ["json", "yaml"] as const;
export type ObjectFormat = (typeof OBJECT_FORMATS)[number];

/** undefined = the human rendering; an error line for a format this command does not know. */
export function parseFormat(
  value: string | undefined,
): { readonly format?: ObjectFormat } | { readonly error: string } {
  if (value === undefined || value === "") return {};
  const found = OBJECT_FORMATS.find((f) => f === value);
  return found === undefined
    ? { error: `-o ${value}: use json or yaml (or leave -o out for the view)` }
    : { format: found };
}

export function formatObject(format: ObjectFormat, obj: unknown): string {
  return format === "json" ? `${JSON.stringify(obj, null, 2)}\n` : stringify(obj, { version: "1.1" });
}

export function printObject(io: CliIo, format: ObjectFormat, obj: unknown): void {
  io.stdout(formatObject(format, obj));
}

/** A kubectl-style `List` of objects. */
export function listOf(items: readonly unknown[]): Record<string, unknown> {
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items };
}
