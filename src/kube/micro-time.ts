// Kubernetes MicroTime (Lease renewTime/acquireTime, Event eventTime) must carry exactly six
// fractional digits; `Date.toISOString()` gives three and the API server rejects it
// (kubernetes-client/javascript#828). Build the string ourselves and send it as a string.

/** `2026-03-01T12:00:00.123000Z` */
export function formatMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Parses a MicroTime or RFC 3339 time; NaN-safe: returns undefined when unreadable. */
export function parseMicroTime(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
