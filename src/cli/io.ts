// What a command needs from the outside world, injected so tests run commands in-process.
import { readFile } from "node:fs/promises";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFile(path, "utf8"),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/** Reads `-f FILE` (`-` is stdin). Returns the text, or an error line naming the file and the cause. */
export async function readInput(file: string, io: CliIo): Promise<{ text: string } | { error: string }> {
  try {
    return { text: file === "-" ? await io.readStdin() : await io.readFile(file) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(err);
    return { error: `${file}: cannot read: ${why}` };
  }
}

/** Displays the input's name in messages. */
export function sourceName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}
