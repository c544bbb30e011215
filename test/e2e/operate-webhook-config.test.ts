// The `slipway` webhook configurations belong to whoever installed them (Helm, a person adding labels):
// Slipway writes only what it owns — the caBundle of its own webhooks in a cluster, its own entries in local
// mode — so labels and annotations survive a CA rotation, a controller restart, and a new CA.
import { randomBytes } from "node:crypto";
import type {
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_VERSION, KIND_ANALYSIS_TEMPLATE, WEBHOOK_CERT_SECRET } from "../../src/api/names.ts";
import { createKubeClient } from "../../src/kube/client.ts";
import { createCertificateAuthority } from "../../webhook/certs/generate.ts";
import { KubeCertStore } from "../../webhook/kube/cert-store.ts";
import { kubectl, template } from "./chart/tools.ts";
import { clients, done, mergePatch, notYet, statusCode, waitFor, withNamespace } from "./lib/index.ts";
import { impersonatingKubeconfig } from "./operate/support.ts";
import { startController, startSlipway, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import { custom, deleteWebhookConfigurations, installCrds } from "./rollout/fixtures.ts";

type Configuration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;

const NAME = "slipway";
const THEIRS = {
  metadata: { labels: { team: "platform" }, annotations: { "example.com/owner": "sre-team" } },
};

beforeAll(async () => {
  await installCrds();
  await deleteWebhookConfigurations();
});

afterAll(async () => {
  await deleteWebhookConfigurations();
});

async function configurations(): Promise<readonly [Configuration, Configuration]> {
  const { admission } = clients();
  return [
    await admission.readMutatingWebhookConfiguration({ name: NAME }),
    await admission.readValidatingWebhookConfiguration({ name: NAME }),
  ];
}

/** A label and an annotation someone else put on both configurations. */
async function addTheirMetadata(): Promise<void> {
  const { admission } = clients();
  await admission.patchMutatingWebhookConfiguration({ name: NAME, body: THEIRS }, mergePatch);
  await admission.patchValidatingWebhookConfiguration({ name: NAME, body: THEIRS }, mergePatch);
}

function expectTheirMetadata(config: Configuration): void {
  expect(config.metadata?.labels).toMatchObject(THEIRS.metadata.labels);
  expect(config.metadata?.annotations).toMatchObject(THEIRS.metadata.annotations);
}

const caBundles = (config: Configuration) =>
  (config.webhooks ?? []).map((w) => w.clientConfig.caBundle ?? "");
const urls = (config: Configuration) => (config.webhooks ?? []).map((w) => w.clientConfig.url ?? "");

/** Waits until every webhook of both configurations satisfies `check`. */
function waitForConfigurations(
  description: string,
  check: (config: Configuration) => boolean,
): Promise<readonly [Configuration, Configuration]> {
  return waitFor(description, async () => {
    try {
      const both = await configurations();
      return both.every(check) ? done(both) : notYet(both.map((c) => c.webhooks?.map((w) => w.clientConfig)));
    } catch (err) {
      if (statusCode(err) === 404) return notYet("not created yet");
      throw err;
    }
  });
}

/** The API server calls the webhook (trusting the published caBundle): a broken template is refused by it. */
async function admissionWorks(ns: string): Promise<void> {
  const broken = {
    apiVersion: API_VERSION,
    kind: KIND_ANALYSIS_TEMPLATE,
    metadata: { name: `broken-${randomBytes(2).toString("hex")}`, namespace: ns },
    spec: {
      metrics: [
        {
          name: "m",
          provider: { prometheus: { address: "http://127.0.0.1:9", query: "up" } },
          successCondition: "result[0] >=",
        },
      ],
    },
  };
  await waitFor("the webhook to refuse a broken AnalysisTemplate", async () => {
    try {
      await custom().createNamespacedCustomObject({
        group: "rollouts.slipway.dev",
        version: "v1alpha1",
        namespace: ns,
        plural: "analysistemplates",
        body: broken,
        dryRun: "All",
      });
      return notYet("accepted");
    } catch (err) {
      const body = (err as { body?: unknown }).body;
      const message =
        typeof body === "string" ? (JSON.parse(body) as { message?: string }).message : String(err);
      return /admission webhook "rollouts\.rollouts\.slipway\.dev" denied the request/.test(message ?? "")
        ? done(undefined)
        : notYet(message);
    }
  });
}

async function withProcesses(
  procs: SlipwayProcess[],
  body: (procs: SlipwayProcess[]) => Promise<void>,
): Promise<void> {
  try {
    await body(procs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${procs.map((p) => tail(p)).join("\n")}`, { cause: err });
  } finally {
    for (const p of procs) await p.kill("SIGTERM");
    await deleteWebhookConfigurations();
  }
}

describe("local mode: Slipway registers the configurations and keeps what others added", () => {
  it("a label and an annotation survive a controller restart that brings a new CA and a new port", async () => {
    await withNamespace(async (ns) => {
      // The certificate Secret lives in the test's namespace: deleting it forces a new CA.
      const args = ["--slipway-namespace", ns];
      const webhookOf = (p: SlipwayProcess) =>
        String(p.lines().find((l) => l.msg === "slipway controller started")?.["webhook"]);
      const procs: SlipwayProcess[] = [await startController("operate-certs-a", ns, args)];
      await withProcesses(procs, async () => {
        const first = webhookOf(procs[0]!);
        const [created] = await waitForConfigurations("A's configurations", (c) =>
          urls(c).every((u) => u.startsWith(`${first}/`)),
        );
        await addTheirMetadata();
        const oldBundles = caBundles(created);

        await procs[0]!.kill("SIGTERM");
        // A new CA: the next controller finds no certificates and makes new ones.
        await clients().core.deleteNamespacedSecret({ name: WEBHOOK_CERT_SECRET, namespace: ns });
        procs.push(await startController("operate-certs-b", ns, args));
        const second = webhookOf(procs[1]!);
        expect(second).not.toBe(first);
        const both = await waitForConfigurations("B's URL and CA in the configurations", (c) =>
          urls(c).every((u) => u.startsWith(`${second}/`)),
        );
        for (const config of both) {
          expectTheirMetadata(config);
          expect(config.metadata?.labels?.["app.kubernetes.io/name"]).toBe("slipway");
          for (const bundle of caBundles(config)) {
            expect(bundle).not.toBe("");
            expect(oldBundles).not.toContain(bundle);
          }
        }
        await admissionWorks(ns);
      });
    });
  });

  it("a label and an annotation survive a live CA rotation", async () => {
    await withNamespace(async (ns) => {
      const proc = await startSlipway(
        "operate-rotation",
        "webhook",
        [
          "--local",
          "--port",
          "0",
          "--namespace",
          ns,
          "--ca-lifetime",
          "24s",
          "--ca-overlap",
          "2s",
          "--cert-lifetime",
          "8s",
        ],
        (line) => line.msg === "slipway webhook serving",
      );
      await withProcesses([proc], async () => {
        const url = String(proc.lines().find((l) => l.msg === "slipway webhook serving")?.["url"]);
        const [first] = await waitForConfigurations("the webhook's configurations", (c) =>
          urls(c).every((u) => u.startsWith(`${url}/`)),
        );
        await addTheirMetadata();
        const before = caBundles(first)[0];
        // Less than a third of the CA's 24 s left: the bundle becomes old + new CA.
        const rotated = await waitForConfigurations("the CA to rotate", (c) =>
          caBundles(c).every((b) => b !== before && b !== ""),
        );
        for (const config of rotated) expectTheirMetadata(config);
        await admissionWorks(ns);
      });
    });
  }, 120_000);
});

describe("in a cluster: the Helm chart owns the configurations, Slipway only their caBundle", () => {
  it("the chart's ServiceAccount patches the caBundle and nothing else; a missing configuration is reported, not recreated", async () => {
    await withNamespace(async (ns) => {
      const release = `certs-${randomBytes(2).toString("hex")}`;
      const rendered = template(
        release,
        ns,
        [],
        ["-s", "templates/serviceaccount.yaml", "-s", "templates/rbac.yaml", "-s", "templates/webhooks.yaml"],
      );
      const applied = kubectl(["apply", "-f", "-"], rendered);
      expect(applied.stderr).toBe("");
      const { client } = createKubeClient({
        kubeconfig: impersonatingKubeconfig(`system:serviceaccount:${ns}:${release}-slipway`),
      });
      try {
        await addTheirMetadata();
        const before = await configurations();
        const store = new KubeCertStore({
          transport: client,
          namespace: ns,
          configuration: {
            endpoint: { type: "service", namespace: ns, name: `${release}-slipway-webhook`, port: 443 },
            namespace: ns,
          },
        });
        const ca = (await createCertificateAuthority(new Date(), 3_600_000)).cert;
        await store.publishCaBundle(ca);

        const after = await configurations();
        for (const [i, config] of after.entries()) {
          const was = before[i]!;
          expect(config.metadata?.labels).toEqual(was.metadata?.labels);
          expect(config.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
          expect(config.metadata?.annotations).toEqual(was.metadata?.annotations);
          expectTheirMetadata(config);
          expect(caBundles(config)).toEqual(caBundles(config).map(() => Buffer.from(ca).toString("base64")));
          // Apart from the caBundle, every webhook is exactly what the chart installed.
          const withoutCa = (c: Configuration) =>
            (c.webhooks ?? []).map((w) => ({
              ...w,
              clientConfig: { ...w.clientConfig, caBundle: undefined },
            }));
          expect(withoutCa(config)).toEqual(withoutCa(was));
          const slipway = (config.metadata?.managedFields ?? []).filter((m) => m.manager === "slipway");
          expect(slipway).toHaveLength(1);
          expect(JSON.stringify(slipway[0]?.fieldsV1)).toContain("caBundle");
          expect(JSON.stringify(slipway[0]?.fieldsV1)).not.toContain("labels");
        }

        // Nothing to change: nothing written.
        await store.publishCaBundle(ca);
        expect((await configurations()).map((c) => c.metadata?.resourceVersion)).toEqual(
          after.map((c) => c.metadata?.resourceVersion),
        );

        await clients().admission.deleteMutatingWebhookConfiguration({ name: NAME });
        await expect(store.publishCaBundle(ca)).rejects.toThrow(
          /MutatingWebhookConfiguration slipway does not exist: the Helm chart installs it \(run helm upgrade/,
        );
        await expect(clients().admission.readMutatingWebhookConfiguration({ name: NAME })).rejects.toSatisfy(
          (err: unknown) => statusCode(err) === 404,
        );
      } finally {
        await client.kc.closeConnections();
        kubectl(["delete", "--ignore-not-found", "-f", "-"], rendered);
        await deleteWebhookConfigurations();
      }
    });
  });
});
