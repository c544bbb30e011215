// Decodes a watch response body (one JSON event per line) into typed events.

import type { KubeObject } from "./resources.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject & {
    readonly code?: number;
    readonly reason?: string;
    readonly message?: string;
  };
}

const TYPES: ReadonlySet<string> = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** Yields events as lines complete; a line that is not a watch event is an error (the stream is corrupt). */
export async function* watchEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<WatchEvent> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== "") yield parseEvent(line);
      newline = buffered.indexOf("\n");
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest !== "") yield parseEvent(rest);
}

function parseEvent(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`watch stream sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const event = parsed as { type?: unknown; object?: unknown };
  if (
    typeof event.type !== "string" ||
    !TYPES.has(event.type) ||
    typeof event.object !== "object" ||
    event.object === null
  ) {
    throw new Error(`watch stream sent something that is not a watch event: ${line.slice(0, 200)}`);
  }
  return parsed as WatchEvent;
}
