// A tiny exporter for analysis e2e tests: per-revision request counters
// `http_requests_total{service, pod_template_hash, status}` whose rate and error share the test sets at
// runtime. Counters grow continuously (integrated at each scrape), so `rate(...)` reads exactly the
// configured requests per second and error ratio. Both status series exist from the start (a 0 error rate
// is a 0, not a missing series). Served by node:http on 127.0.0.1, hand-written exposition format.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Traffic {
  /** Requests per second. */
  readonly rps: number;
  /** Share of requests answered with status 500, in [0, 1]. */
  readonly errorRate: number;
}

export interface TestExporter {
  /** `127.0.0.1:PORT`, for a scrape config. */
  readonly target: string;
  /** Starts or changes a revision's traffic (its series appear at the next scrape). */
  setTraffic(service: string, revision: string, traffic: Traffic): void;
  /** Scrapes served so far. */
  scrapes(): number;
  close(): Promise<void>;
}

interface Series {
  traffic: Traffic;
  ok: number;
  errors: number;
  last: number;
}

export async function startExporter(): Promise<TestExporter> {
  const series = new Map<string, Series & { service: string; revision: string }>();
  let scrapes = 0;
  const advance = (now: number): void => {
    for (const s of series.values()) {
      const seconds = (now - s.last) / 1000;
      s.ok += s.traffic.rps * (1 - s.traffic.errorRate) * seconds;
      s.errors += s.traffic.rps * s.traffic.errorRate * seconds;
      s.last = now;
    }
  };
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    advance(Date.now());
    const lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"];
    for (const s of series.values()) {
      const labels = (status: string) =>
        `service="${escapeLabel(s.service)}",pod_template_hash="${escapeLabel(s.revision)}",status="${status}"`;
      lines.push(`http_requests_total{${labels("200")}} ${s.ok}`);
      lines.push(`http_requests_total{${labels("500")}} ${s.errors}`);
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    target: `127.0.0.1:${port}`,
    setTraffic(service, revision, traffic) {
      const now = Date.now();
      advance(now);
      const key = JSON.stringify([service, revision]);
      const existing = series.get(key);
      if (existing) existing.traffic = traffic;
      else series.set(key, { service, revision, traffic, ok: 0, errors: 0, last: now });
    },
    scrapes: () => scrapes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Exposition-format label value escaping: backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
