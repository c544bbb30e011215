// Waits for a condition in tests that run on real timers, failing with the last observed state.

export async function waitFor<T>(
  probe: () => T | undefined | false,
  what: string,
  {
    timeoutMs = 5000,
    intervalMs = 10,
    describe,
  }: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = describe === undefined ? "" : `; last state: ${JSON.stringify(describe())}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
