// The admission webhook against the real API server, which calls it at https://127.0.0.1:PORT (local
// mode). The controller is not running: where the webhook reads Rollout status, the test writes it.
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { parseOriginalAnnotation, parseReleaseAnnotation } from "../../src/api/held-workload.ts";
import {
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  ANNOTATION_RETRY,
  GROUP,
  LABEL_MANAGED_BY,
  PLURAL_ROLLOUTS,
  VERSION,
  WEBHOOK_CERT_SECRET,
} from "../../src/api/names.ts";
import { validTemplate } from "../../src/api/testdata/fixtures.ts";
import { templateHash } from "../../src/plan/template-diff.ts";
import { HELD_STATEFULSET_PARTITION } from "../../webhook/workloads/statefulset.ts";
import {
  applyYaml,
  clients,
  currentCluster,
  deleteNamespace,
  describeNamespace,
  done,
  mergePatch,
  notYet,
  podsByRevision,
  strategicMergePatch,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { deployment, statefulSet } from "./lib/manifests.ts";
import {
  customObjects,
  deleteWebhookConfigurations,
  installCrds,
  requestsServed,
  rolloutManifest,
  setRolloutStatus,
  startWebhook,
  waitForCache,
  type StartedWebhook,
} from "./webhook-support.ts";

const { apps, core, rbac } = clients();
const WEBHOOK_NAMESPACE = `slipway-e2e-webhook-${process.pid}`;
let webhook: StartedWebhook;

beforeAll(async () => {
  await installCrds();
  webhook = await startWebhook(WEBHOOK_NAMESPACE);
});

afterAll(async () => {
  await webhook?.stop();
  await deleteWebhookConfigurations();
  await deleteNamespace(WEBHOOK_NAMESPACE).catch(() => undefined);
});

const attached = { [LABEL_MANAGED_BY]: "web" };

async function createAttachedDeployment(
  namespace: string,
  name = "web",
  labels: Record<string, string> = attached,
  served: StartedWebhook = webhook,
) {
  const d = deployment({ name, namespace, replicas: 3 });
  await applyYaml([{ ...d, metadata: { ...d.metadata, labels } }, rolloutManifest(namespace, name)]);
  await waitForCache(served, namespace, name, (r) => r !== undefined, "created");
  await waitForAvailable(namespace, name, 3);
}

function waitForAvailable(
  namespace: string,
  name: string,
  replicas: number,
  image?: string,
): Promise<V1Deployment> {
  return waitFor(
    `Deployment ${namespace}/${name}: ${replicas} updated and available${image ? ` on ${image}` : ""}`,
    async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      const s = d.status;
      const ok =
        s?.observedGeneration === d.metadata?.generation &&
        s?.updatedReplicas === replicas &&
        s?.availableReplicas === replicas &&
        s?.replicas === replicas &&
        (image === undefined || d.spec?.template.spec?.containers[0]?.image === image);
      return ok ? done(d) : notYet(s);
    },
    { timeoutMs: 90_000, describeState: () => describeNamespace(namespace) },
  );
}

/** What `kubectl set image deployment/<name> app=<image>` sends. */
const imagePatch = (image: string) => ({
  spec: { template: { spec: { containers: [{ name: "app", image }] } } },
});

function setImage(namespace: string, name: string, image: string): Promise<V1Deployment> {
  return apps.patchNamespacedDeployment({ name, namespace, body: imagePatch(image) }, strategicMergePatch);
}

function setStatefulSetImage(namespace: string, name: string, image: string): Promise<V1StatefulSet> {
  return apps.patchNamespacedStatefulSet({ name, namespace, body: imagePatch(image) }, strategicMergePatch);
}

async function podImages(namespace: string, app: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items.map((p) => p.spec?.containers[0]?.image ?? "");
}

function observed<T extends V1Deployment | V1StatefulSet>(read: () => Promise<T>, what: string): Promise<T> {
  return waitFor(`${what}: the controller observed the latest generation`, async () => {
    const o = await read();
    return o.status?.observedGeneration === o.metadata?.generation ? done(o) : notYet(o.status);
  });
}

describe("holding releases", () => {
  test("an image update of an attached Deployment leaves it paused on the new template, originals saved", () =>
    withNamespace(async (ns) => {
      await createAttachedDeployment(ns);
      await setImage(ns, "web", "registry.example/app:v2");
      const d = await observed(
        () => apps.readNamespacedDeployment({ name: "web", namespace: ns }),
        "Deployment",
      );
      expect(d.spec?.paused).toBe(true);
      expect(d.spec?.template.spec?.containers[0]?.image).toBe("registry.example/app:v2");
      expect(parseOriginalAnnotation(d.metadata?.annotations?.[ANNOTATION_ORIGINAL])).toEqual({
        kind: "Deployment",
        paused: false,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        progressDeadlineSeconds: 600,
      });
      expect(parseReleaseAnnotation(d.metadata?.annotations?.[ANNOTATION_RELEASE])).toMatchObject({
        rollout: "web",
        canaryTemplateHash: templateHash(d.spec?.template),
      });
      // The native controller moved nothing: every pod still runs the first template.
      expect(await podsByRevision(ns, "app=web")).toHaveLength(1);
      expect(await podImages(ns, "web")).toEqual(Array(3).fill("registry.example/app:v1"));
      const sets = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=web" });
      expect(sets.items).toHaveLength(1);

      // A user unpausing it during the release gets it re-held, not rejected.
      await setRolloutStatus(ns, "web", {
        phase: "Progressing",
        currentStepIndex: 1,
        currentStepState: "Upgrading",
      });
      await waitForCache(webhook, ns, "web", (r) => r?.status?.phase === "Progressing", "Progressing");
      const unpaused = await apps.patchNamespacedDeployment(
        {
          name: "web",
          namespace: ns,
          body: { spec: { paused: false }, metadata: { labels: { team: "shop" } } },
        },
        strategicMergePatch,
      );
      expect(unpaused.spec?.paused).toBe(true);
      expect(unpaused.metadata?.labels?.["team"]).toBe("shop");
    }));

  test("an image update of an attached StatefulSet sets a partition no pod reaches", () =>
    withNamespace(async (ns) => {
      const s = statefulSet({ name: "db", namespace: ns, replicas: 3 });
      await applyYaml([
        { ...s, metadata: { ...s.metadata, labels: { [LABEL_MANAGED_BY]: "db" } } },
        rolloutManifest(ns, "db", { kind: "StatefulSet" }),
      ]);
      await waitForCache(webhook, ns, "db", (r) => r !== undefined, "created");
      const ready = await waitFor("StatefulSet ready", async () => {
        const o = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
        return o.status?.readyReplicas === 3 && o.status.currentRevision === o.status.updateRevision
          ? done(o)
          : notYet(o.status);
      });
      await setStatefulSetImage(ns, "db", "registry.example/app:v2");
      const held = await waitFor("a new update revision", async () => {
        const o = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
        const seen = o.status?.observedGeneration === o.metadata?.generation;
        return seen && o.status?.updateRevision !== ready.status?.updateRevision ? done(o) : notYet(o.status);
      });
      expect(held.spec?.updateStrategy?.rollingUpdate?.partition).toBe(HELD_STATEFULSET_PARTITION);
      expect(parseOriginalAnnotation(held.metadata?.annotations?.[ANNOTATION_ORIGINAL])).toEqual({
        kind: "StatefulSet",
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      });
      expect(parseReleaseAnnotation(held.metadata?.annotations?.[ANNOTATION_RELEASE])?.stableRevision).toBe(
        ready.status?.updateRevision,
      );
      const groups = await podsByRevision(ns, "app=db");
      expect(groups.map((g) => g.revision)).toEqual([ready.status?.updateRevision]);
    }));

  test("a scale-only update and a metadata-only update of an attached Deployment pass unchanged", () =>
    withNamespace(async (ns) => {
      await createAttachedDeployment(ns);
      await apps.patchNamespacedDeployment(
        { name: "web", namespace: ns, body: { spec: { replicas: 5 } } },
        mergePatch,
      );
      await apps.patchNamespacedDeployment(
        { name: "web", namespace: ns, body: { metadata: { labels: { team: "shop" } } } },
        mergePatch,
      );
      const d = await waitForAvailable(ns, "web", 5);
      expect(d.spec?.paused ?? false).toBe(false);
      expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(d.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
    }));

  test("an update of a workload without the managed-by label is not even sent to the webhook", () =>
    withNamespace(async (ns) => {
      await createAttachedDeployment(ns, "plain", {});
      const before = await requestsServed(webhook, "/mutate-workload");
      await setImage(ns, "plain", "registry.example/app:v2");
      const d = await waitForAvailable(ns, "plain", 3, "registry.example/app:v2");
      expect(d.spec?.paused ?? false).toBe(false);
      expect(await requestsServed(webhook, "/mutate-workload")).toBe(before);
    }));

  test("a Rollout that is being deleted, or is disabled, does not hold the release", () =>
    withNamespace(async (ns) => {
      const keep = "e2e.slipway.dev/keep";
      const d = deployment({ name: "web", namespace: ns, replicas: 2 });
      await applyYaml([
        { ...d, metadata: { ...d.metadata, labels: attached } },
        rolloutManifest(ns, "web", { finalizers: [keep] }),
      ]);
      await waitForAvailable(ns, "web", 2);
      await customObjects().deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL_ROLLOUTS,
        namespace: ns,
        name: "web",
      });
      await waitForCache(
        webhook,
        ns,
        "web",
        (r) => r?.metadata["deletionTimestamp"] !== undefined,
        "deleting",
      );
      await setImage(ns, "web", "registry.example/app:v2");
      expect((await waitForAvailable(ns, "web", 2, "registry.example/app:v2")).spec?.paused ?? false).toBe(
        false,
      );
      await customObjects().patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL_ROLLOUTS,
          namespace: ns,
          name: "web",
          body: { metadata: { finalizers: null } },
        },
        mergePatch,
      );
      await waitForCache(webhook, ns, "web", (r) => r === undefined, "gone");

      await applyYaml(rolloutManifest(ns, "web", { disabled: true }));
      await waitForCache(webhook, ns, "web", (r) => r?.spec.disabled === true, "disabled");
      await setImage(ns, "web", "registry.example/app:v3");
      expect((await waitForAvailable(ns, "web", 2, "registry.example/app:v3")).spec?.paused ?? false).toBe(
        false,
      );
    }));
});

async function grantRollouts(namespace: string, users: readonly string[]): Promise<void> {
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: "rollout-operator" },
      rules: [
        {
          apiGroups: [GROUP],
          resources: [PLURAL_ROLLOUTS],
          verbs: ["get", "list", "watch", "update", "patch"],
        },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: "rollout-operator" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rollout-operator" },
      subjects: users.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name })),
    },
  });
}

async function annotate(
  namespace: string,
  as: "alice" | "bob" | "admin",
  annotations: Record<string, string | null>,
) {
  return customObjects(as).patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL_ROLLOUTS,
      namespace,
      name: "web",
      body: { metadata: { annotations } },
    },
    mergePatch,
  );
}

async function refusal(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (err) {
    return String((err as { body?: unknown }).body ?? err);
  }
  throw new Error("the request was admitted, but a refusal was expected");
}

async function rolloutAnnotations(namespace: string): Promise<Record<string, string>> {
  const r = (await customObjects().getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL_ROLLOUTS,
    namespace,
    name: "web",
  })) as {
    metadata: { annotations?: Record<string, string> };
  };
  return r.metadata.annotations ?? {};
}

describe("Rollout admission", () => {
  test("stale and impossible actions are refused; approvals are stamped with the caller's user name", () =>
    withNamespace(async (ns) => {
      await createAttachedDeployment(ns);
      await grantRollouts(ns, ["alice", "bob"]);
      await setRolloutStatus(ns, "web", {
        phase: "Paused",
        currentStepIndex: 1,
        currentStepState: "Paused",
        canaryRevision: "7c9d8b6f5",
      });

      expect(await refusal(annotate(ns, "alice", { [ANNOTATION_APPROVE]: "2" }))).toContain(
        `rollout ${ns}/web is at step 1, not step 2`,
      );
      expect(await refusal(annotate(ns, "alice", { [ANNOTATION_RETRY]: "now" }))).toContain(
        `nothing to retry: rollout ${ns}/web is Paused`,
      );
      expect(await refusal(annotate(ns, "alice", { [ANNOTATION_APPROVE]: "1@0000000" }))).toContain(
        `rollout ${ns}/web is releasing revision 7c9d8b6f5, not 0000000`,
      );

      await annotate(ns, "alice", { [ANNOTATION_APPROVE]: "1" });
      expect(await rolloutAnnotations(ns)).toMatchObject({
        [ANNOTATION_APPROVE]: "1",
        [ANNOTATION_APPROVED_BY]: "alice",
      });
      await annotate(ns, "bob", { [ANNOTATION_APPROVED_BY]: "bob" }); // cannot rewrite who approved
      expect((await rolloutAnnotations(ns))[ANNOTATION_APPROVED_BY]).toBe("alice");

      await setRolloutStatus(ns, "web", { currentStepIndex: 2 });
      await annotate(ns, "bob", { [ANNOTATION_APPROVE]: "2" });
      expect(await rolloutAnnotations(ns)).toMatchObject({
        [ANNOTATION_APPROVE]: "2",
        [ANNOTATION_APPROVED_BY]: "bob",
      });
      await annotate(ns, "admin", { [ANNOTATION_APPROVE]: null }); // the controller's clean-up after acting
      expect((await rolloutAnnotations(ns))[ANNOTATION_APPROVED_BY]).toBeUndefined();
    }));

  test("a second Rollout for a workload, a Rollout of an OnDelete StatefulSet and plan surgery mid-release are refused", () =>
    withNamespace(async (ns) => {
      await createAttachedDeployment(ns);
      expect(await refusal(applyYaml(rolloutManifest(ns, "web-2", { workload: "web" })))).toContain(
        `Deployment ${ns}/web is already managed by rollout ${ns}/web`,
      );
      const onDelete: V1StatefulSet = statefulSet({ name: "db", namespace: ns, replicas: 1 });
      onDelete.spec = { ...onDelete.spec!, updateStrategy: { type: "OnDelete" } };
      await applyYaml(onDelete);
      expect(await refusal(applyYaml(rolloutManifest(ns, "db", { kind: "StatefulSet" })))).toContain(
        "uses updateStrategy OnDelete",
      );

      const template = validTemplate();
      template.spec["metrics"][0].successCondition = "result[0] >=";
      expect(
        await refusal(applyYaml({ ...template, metadata: { name: "success-rate", namespace: ns } } as never)),
      ).toContain("spec.metrics[0].successCondition: does not compile");

      await setRolloutStatus(ns, "web", { phase: "Progressing", currentStepIndex: 1 });
      const fewer = rolloutManifest(ns, "web") as { spec: { strategy: { canary: { steps: unknown[] } } } };
      fewer.spec.strategy.canary.steps.pop();
      expect(await refusal(applyYaml(fewer as never))).toContain(
        `the number of steps (3 → 2) cannot change while rollout ${ns}/web is releasing`,
      );
    }));
});

describe("AnalysisTemplate admission", () => {
  test("query placeholders that can never resolve are refused with the field, the placeholder and the fix", () =>
    withNamespace(async (ns) => {
      const withQuery = (kind: string, name: string, query: string) => {
        const t = validTemplate(kind);
        t.spec["metrics"][0].provider.prometheus.query = query;
        const metadata = kind === "AnalysisTemplate" ? { name, namespace: ns } : { name };
        return { ...t, metadata } as never;
      };
      const field = "spec.metrics[0].provider.prometheus.query";
      const bad = 'up{job="{{args.nope}}", x="{{ canary.revison }}"}';
      const refused = await refusal(applyYaml(withQuery("AnalysisTemplate", "up", bad)));
      expect(refused).toContain(
        `${field}: uses {{args.nope}}, which the template does not declare: declare it in spec.args`,
      );
      expect(refused).toContain(
        `${field}: uses {{canary.revison}}, which is not a variable: did you mean {{canary.revision}}?`,
      );

      const cluster = `slipway-e2e-placeholders-${process.pid}`;
      expect(
        await refusal(applyYaml(withQuery("ClusterAnalysisTemplate", cluster, 'up{job="{{args.service"}'))),
      ).toContain(`${field}: "{{" at offset 8 is never closed`);

      // The same template with the placeholders fixed is admitted.
      await applyYaml(
        withQuery("AnalysisTemplate", "up", 'up{job="{{args.service}}", x="{{ canary.revision }}"}'),
      );
    }));

  test("a Rollout that does not pass a required argument of an existing template is refused", () =>
    withNamespace(async (ns) => {
      // success-rate declares `service` (no default) and `threshold` (default 0.99).
      await applyYaml({ ...validTemplate(), metadata: { name: "success-rate", namespace: ns } } as never);
      const withArgs = (args: { name: string; value: string }[]) => {
        const r = rolloutManifest(ns, "web") as { spec: { strategy: { canary: { steps: unknown[] } } } };
        r.spec.strategy.canary.steps = [
          { replicas: 1, analysis: { templates: [{ name: "success-rate" }], args } },
          { replicas: "100%" },
        ];
        return r as never;
      };
      expect(await refusal(applyYaml(withArgs([{ name: "threshold", value: "0.9" }])))).toContain(
        'spec.strategy.canary.steps[0].analysis.args: AnalysisTemplate success-rate needs argument "service", which has no default: add {name: service, value: ...}',
      );
      await applyYaml(withArgs([{ name: "service", value: "web" }]));
    }));
});

describe("certificates", () => {
  test("certificate rotation during a stream of updates: zero failed admissions", async () => {
    // A second webhook with short lifetimes takes over the configurations: serving certificates are
    // reissued every ~6 s and the CA rotates (trusted at ~20 s, signing at ~23 s).
    await webhook.stop();
    const rotating = `slipway-e2e-rotation-${process.pid}`;
    const fast = await startWebhook(rotating, {
      servingLifetimeMs: 9_000,
      caLifetimeMs: 30_000,
      caOverlapMs: 3_000,
    });
    try {
      await withNamespace(async (ns) => {
        const readSecret = async () =>
          (await core.readNamespacedSecret({ name: WEBHOOK_CERT_SECRET, namespace: rotating })).data ?? {};
        const first = await readSecret();
        await createAttachedDeployment(ns, "web", attached, fast);
        const servingSeen = new Set<string>([first["tls.crt"] ?? ""]);
        const failures: string[] = [];
        let updates = 0;
        const until = Date.now() + 32_000;
        while (Date.now() < until) {
          updates += 1;
          const image = `registry.example/app:v${updates + 1}`;
          try {
            const d = await setImage(ns, "web", image);
            const release = parseReleaseAnnotation(d.metadata?.annotations?.[ANNOTATION_RELEASE]);
            if (d.spec?.paused !== true || release?.canaryTemplateHash !== templateHash(d.spec.template)) {
              failures.push(`update ${updates} was admitted without the hold`);
            }
          } catch (err) {
            failures.push(`update ${updates}: ${String((err as { body?: unknown }).body ?? err)}`);
          }
          servingSeen.add((await readSecret())["tls.crt"] ?? "");
        }
        const last = await readSecret();
        console.error(
          `[e2e] rotation: ${updates} held updates, ${servingSeen.size} serving certificates, ${failures.length} failures`,
        );
        expect(failures).toEqual([]);
        expect(updates).toBeGreaterThan(20);
        expect(servingSeen.size).toBeGreaterThanOrEqual(4);
        expect(last["ca.crt"]).not.toBe(first["ca.crt"]);
        // The server presents the current certificate on a new connection (hot swap, no restart).
        const presented = await peerCertificate(fast.url);
        const stored = new X509Certificate(Buffer.from(last["tls.crt"] ?? "", "base64"));
        expect(presented).toBe(stored.fingerprint256);
      });
    } finally {
      await fast.stop();
      await deleteNamespace(rotating).catch(() => undefined);
    }
  }, 120_000);
});

describe("two replicas", () => {
  test("two webhook replicas starting at once converge on one certificate in one Secret", async () => {
    const namespace = `slipway-e2e-race-${process.pid}`;
    const [a, b] = await Promise.all([
      startWebhook(namespace, {}, { waitForApiServer: false }),
      startWebhook(namespace, {}, { waitForApiServer: false }),
    ]);
    try {
      const [certA, certB] = await Promise.all([peerCertificate(a.url), peerCertificate(b.url)]);
      expect(certA).toBe(certB);
      const secret = await core.readNamespacedSecret({ name: WEBHOOK_CERT_SECRET, namespace });
      const stored = new X509Certificate(Buffer.from(secret.data?.["tls.crt"] ?? "", "base64"));
      expect(certA).toBe(stored.fingerprint256);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await deleteWebhookConfigurations();
      await deleteNamespace(namespace).catch(() => undefined);
    }
  });
});

describe("the command", () => {
  test("slipway webhook --local registers itself by URL on 127.0.0.1, serves, and drains on SIGTERM", async () => {
    const namespace = `slipway-e2e-cli-${process.pid}`;
    const bin = join(import.meta.dirname, "../../bin/slipway.js");
    const args = [
      bin,
      "webhook",
      "--local",
      "--port",
      "0",
      "--namespace",
      namespace,
      "--kubeconfig",
      currentCluster().kubeconfig,
    ];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.stdout
      .setEncoding("utf8")
      .on("data", (chunk: string) => lines.push(...chunk.split("\n").filter(Boolean)));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => lines.push(chunk));
    try {
      const url = await waitFor("the command to log that it serves", () => {
        const line = lines.find((l) => l.includes("slipway webhook serving"));
        return line === undefined ? notYet(lines.slice(-5)) : done((JSON.parse(line) as { url: string }).url);
      });
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const config = await clients().admission.readMutatingWebhookConfiguration({ name: "slipway" });
      expect(config.webhooks?.map((w) => w.clientConfig.url)).toEqual([
        `${url}/mutate-workload`,
        `${url}/mutate-rollout`,
      ]);
      expect(config.webhooks?.every((w) => (w.clientConfig.caBundle ?? "").length > 0)).toBe(true);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(lines.some((l) => l.includes("webhook stopped"))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await deleteWebhookConfigurations();
      await deleteNamespace(namespace).catch(() => undefined);
    }
  });
});

function peerCertificate(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert === undefined) reject(new Error("no peer certificate"));
      else resolve(cert.fingerprint256);
    });
    socket.on("error", reject);
  });
}
