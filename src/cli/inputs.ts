// `-f FILE|DIR|-` as kubectl reads it: one file, stdin, or every .yaml/.yml/.json file of a directory (sorted
// by name, subdirectories only with -R/--recursive). Each file is parsed on its own, so problems name it.
import { join } from "node:path";
import type { CliIo } from "./io.ts";
import { loadManifests, type LoadResult } from "./manifests.ts";

export interface InputFile {
  /** How messages name the file: the path as given (joined for directory entries), `<stdin>` for `-`. */
  readonly name: string;
  readonly loaded: LoadResult;
}

export type Inputs =
  { readonly directory: boolean; readonly files: readonly InputFile[] } | { readonly error: string };

const MANIFEST = /\.(ya?ml|json)$/i;

/** Reads `-f PATH`; a directory yields its manifest files (an error when it has none). */
export async function readInputs(path: string, recursive: boolean, io: CliIo): Promise<Inputs> {
  if (path === "-") return { directory: false, files: [loadFile("<stdin>", await io.readStdin())] };
  try {
    const listed = io.listDirectory === undefined ? undefined : await io.listDirectory(path);
    if (listed === undefined) return { directory: false, files: [loadFile(path, await io.readFile(path))] };
    const names = await manifestFiles(path, recursive, io);
    if (names.length === 0) {
      const hint = recursive ? "" : " (subdirectories are read with -R)";
      return { error: `${path}: no .yaml, .yml or .json files in this directory${hint}` };
    }
    const files: InputFile[] = [];
    for (const name of names) files.push(loadFile(name, await io.readFile(name)));
    return { directory: true, files };
  } catch (err) {
    return { error: `${(err as { path?: string }).path ?? path}: cannot read: ${why(err)}` };
  }
}

async function manifestFiles(dir: string, recursive: boolean, io: CliIo): Promise<string[]> {
  const entries = [...((await io.listDirectory?.(dir)) ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.directory) {
      if (recursive) out.push(...(await manifestFiles(path, recursive, io)));
    } else if (MANIFEST.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

function loadFile(name: string, text: string): InputFile {
  return { name, loaded: loadManifests(text, name) };
}

function why(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return String(err);
}
