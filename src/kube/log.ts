// The logging surface src/kube needs. A pino logger satisfies it; tests can pass a recorder.

export interface KubeLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const SILENT_LOGGER: KubeLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** `err` for structured logs: the message (plain words) plus status and reason when the API said no. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const { status, reason } = err as { status?: unknown; reason?: unknown };
    return {
      err: err.message,
      ...(status === undefined ? {} : { status }),
      ...(reason === undefined ? {} : { reason }),
    };
  }
  return { err: String(err) };
}
