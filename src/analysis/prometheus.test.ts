// The HTTP side of the Prometheus provider against throwaway loopback servers (plain and TLS).
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createCa, issueCert } from "../../test/cluster/pki.ts";
import { queryPrometheus } from "./prometheus.ts";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}

type Handler = (seen: Seen, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(
  handler: Handler,
  tls?: { certPem: string; keyPem: string },
): Promise<{ address: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const s = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        form: new URLSearchParams(body),
      };
      seen.push(s);
      handler(s, res);
    });
  };
  const server = tls
    ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, listener)
    : http.createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { address: `${tls ? "https" : "http"}://127.0.0.1:${port}`, seen };
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
};
const ONE = { status: "success", data: { resultType: "scalar", result: [1, "0.5"] } };

describe("queryPrometheus", () => {
  it("POSTs an instant query with its timeout and headers to /api/v1/query under the address's path", async () => {
    const server = await serve((_s, res) => json(res, 200, ONE));
    const result = await queryPrometheus({
      address: `${server.address}/prom/`,
      query: 'up{job="x"}',
      timeoutSeconds: 7,
      headers: [{ name: "X-Scope-OrgID", value: "tenant-1" }],
    });
    expect(result).toEqual({
      ok: true,
      result: { kind: "values", values: [0.5], text: "0.5" },
      warnings: [],
    });
    const [seen] = server.seen;
    expect(seen?.method).toBe("POST");
    expect(seen?.url).toBe("/prom/api/v1/query");
    expect(seen?.form.get("query")).toBe('up{job="x"}');
    expect(seen?.form.get("timeout")).toBe("7s");
    expect(seen?.headers["x-scope-orgid"]).toBe("tenant-1");
  });

  it("reports Prometheus's own error", async () => {
    const server = await serve((_s, res) =>
      json(res, 400, { status: "error", errorType: "bad_data", error: "parse error" }),
    );
    expect(await queryPrometheus({ address: server.address, query: "(", timeoutSeconds: 5 })).toEqual({
      ok: false,
      error: "Prometheus refused the query (HTTP 400): bad_data: parse error",
    });
  });

  it("reports a body that is not JSON", async () => {
    const server = await serve((_s, res) => res.writeHead(502).end("<html>Bad Gateway</html>"));
    const result = await queryPrometheus({ address: server.address, query: "up", timeoutSeconds: 5 });
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringContaining(
        'answered HTTP 502 with a body that is not JSON: "<html>Bad Gateway</html>"',
      ),
    });
  });

  it("gives up at the timeout", async () => {
    const server = await serve(() => {
      /* never answers */
    });
    const started = Date.now();
    const result = await queryPrometheus({ address: server.address, query: "up", timeoutSeconds: 1 });
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringContaining("did not answer within the timeout of 1s"),
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reports an unreachable address", async () => {
    const server = await serve(() => {});
    const address = server.address;
    await new Promise((r) => servers.pop()?.close(r));
    const result = await queryPrometheus({ address, query: "up", timeoutSeconds: 2 });
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/),
    });
  });

  it("never echoes a header value it cannot send", async () => {
    const server = await serve((_s, res) => json(res, 200, ONE));
    const result = await queryPrometheus({
      address: server.address,
      query: "up",
      timeoutSeconds: 2,
      headers: [{ name: "Authorization", value: "Bearer s3cret\u0000" }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).not.toContain("s3cret");
  });

  describe("TLS", () => {
    const ca = createCa("test-ca");
    const leaf = issueCert(ca, { commonName: "prometheus", ipAddresses: ["127.0.0.1"], usage: "server" });

    it("trusts a Prometheus signed by the given CA", async () => {
      const server = await serve((_s, res) => json(res, 200, ONE), leaf);
      const result = await queryPrometheus({
        address: server.address,
        query: "up",
        timeoutSeconds: 5,
        tls: { caPem: ca.certPem },
      });
      expect(result.ok).toBe(true);
    });

    it("refuses an unknown CA by default, and accepts it with insecureSkipVerify", async () => {
      const server = await serve((_s, res) => json(res, 200, ONE), leaf);
      const refused = await queryPrometheus({ address: server.address, query: "up", timeoutSeconds: 5 });
      expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/certificate/i) });
      const skipped = await queryPrometheus({
        address: server.address,
        query: "up",
        timeoutSeconds: 5,
        tls: { insecureSkipVerify: true },
      });
      expect(skipped.ok).toBe(true);
    });
  });
});
