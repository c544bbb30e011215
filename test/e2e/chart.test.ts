// The Helm chart: lint-clean, renders what SPEC §7 lists, is accepted by a real API server (server-side dry
// run of everything, CRDs included), and its RBAC — applied for real — lets the controller's ServiceAccount
// do its job and nothing more: no Secret outside its own namespace.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { admin } from "./cli/support.ts";
import {
  applyYaml,
  createNamespace,
  deleteNamespace,
  done,
  notYet,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { helm, kubectl, template, CHART } from "./chart/tools.ts";

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

const docs = (yaml: string): Doc[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
const find = (all: Doc[], kind: string, name?: string): Doc => {
  const hit = all.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (hit === undefined) throw new Error(`no ${kind}${name ? ` ${name}` : ""} rendered`);
  return hit;
};
const at = (obj: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], obj);

describe("charts/slipway", () => {
  it("helm lint --strict passes", () => {
    const r = helm(["lint", "--strict", CHART]);
    expect(r.stderr + r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(r.status).toBe(0);
  });

  it("renders 2 leader-elected replicas, probes, a non-root read-only container, Services, webhooks, a PDB", () => {
    const all = docs(template("slipway", "slipway-system"));
    const deployment = find(all, "Deployment", "slipway");
    const pod = at(deployment, "spec", "template", "spec");
    const container = at(pod, "containers", 0);
    expect(at(deployment, "spec", "replicas")).toBe(2);
    expect(at(container, "args")).toEqual(
      expect.arrayContaining([
        "controller",
        "--leader-elect",
        "--slipway-namespace=slipway-system",
        "--webhook-service=slipway-webhook",
      ]),
    );
    expect(at(container, "livenessProbe", "httpGet", "path")).toBe("/healthz");
    expect(at(container, "readinessProbe", "httpGet", "path")).toBe("/readyz");
    expect(at(pod, "securityContext")).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(at(container, "securityContext")).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(at(find(all, "Service", "slipway-webhook"), "spec", "ports", 0)).toMatchObject({
      port: 443,
      targetPort: "webhook",
    });
    expect(at(find(all, "PodDisruptionBudget"), "spec", "minAvailable")).toBe(1);
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
      const config = find(all, kind, "slipway");
      for (const hook of at(config, "webhooks") as unknown[]) {
        expect(hook).toMatchObject({
          failurePolicy: "Fail",
          sideEffects: "None",
          timeoutSeconds: 5,
          clientConfig: { service: { name: "slipway-webhook", namespace: "slipway-system", port: 443 } },
        });
        expect(at(hook, "clientConfig", "caBundle")).toBeUndefined(); // the controller injects it
      }
    }
    expect(all.some((d) => d.kind === "ServiceMonitor")).toBe(false);
    const monitored = docs(template("slipway", "slipway-system", ["serviceMonitor.enabled=true"]));
    expect(at(find(monitored, "ServiceMonitor"), "spec", "endpoints", 0)).toMatchObject({
      port: "metrics",
      path: "/metrics",
    });
  });

  it("no RBAC rule uses wildcards, and only the release namespace's Role mentions Secrets", () => {
    const all = docs(template("slipway", "slipway-system"));
    const rules = all
      .filter((d) => d.kind === "ClusterRole" || d.kind === "Role")
      .flatMap((d) =>
        (at(d, "rules") as { resources: string[]; verbs: string[] }[]).map((r) => ({ role: d, ...r })),
      );
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) expect([...r.resources, ...r.verbs]).not.toContain("*");
    const secretRoles = rules
      .filter((r) => r.resources.includes("secrets"))
      .map((r) => `${r.role.kind}/${r.role.metadata.namespace}`);
    expect(new Set(secretRoles)).toEqual(new Set(["Role/slipway-system"]));
  });

  it("ships the generated CRDs unchanged and refuses more than one watched namespace in plain words", () => {
    const crds = docs(template("slipway", "slipway-system", [], ["--include-crds"])).filter(
      (d) => d.kind === "CustomResourceDefinition",
    );
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "analysistemplates.rollouts.slipway.dev",
      "clusteranalysistemplates.rollouts.slipway.dev",
      "rollouts.rollouts.slipway.dev",
    ]);
    const generated = docs(
      readFileSync(join(CHART, "../../crds/rollouts.slipway.dev_rollouts.yaml"), "utf8"),
    )[0];
    expect(crds.find((c) => c.metadata.name === "rollouts.rollouts.slipway.dev")).toEqual(generated);
    expect(() => template("slipway", "slipway-system", ["watchNamespaces={a,b}"])).toThrow(
      /watchNamespaces: the controller watches one namespace or all of them; list at most one/,
    );
  });

  it("the API server accepts every object of the chart (server-side dry run, CRDs included)", async () => {
    await withNamespace(async (ns) => {
      const rendered = template(`dry-${randomBytes(2).toString("hex")}`, ns, [], ["--include-crds"]);
      const r = kubectl(
        ["apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-"],
        rendered,
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const applied = r.stdout.trim().split("\n");
      expect(applied.length).toBe(docs(rendered).length);
      for (const line of applied) expect(line).toMatch(/ \(server dry run\)$/);
    });
  });
});

describe("the chart's RBAC, applied for real", () => {
  // `kubectl auth can-i` resolves a resource through discovery: without Istio's API the istio checks would
  // ask about a core-group resource. Stand-in CRDs only where Istio is not installed.
  beforeAll(async () => {
    try {
      await admin().request({ method: "GET", path: "/apis/networking.istio.io" });
    } catch {
      await applyYaml(readFileSync(join(import.meta.dirname, "fixtures/istio-minimal-crds.yaml"), "utf8"));
      await waitFor("Istio's API to be served", async () => {
        const found = kubectl(["api-resources", "--api-group=networking.istio.io", "-o", "name"]).stdout;
        return found.includes("virtualservices") ? done(undefined) : notYet(found);
      });
    }
  });

  /** `kubectl auth can-i` as the controller's ServiceAccount: true for "yes". */
  function can(sa: string, verb: string, resource: string, ...flags: string[]): boolean {
    const r = kubectl(["auth", "can-i", verb, resource, "--as", sa, ...flags]);
    return r.stdout.trim() === "yes";
  }

  async function withRbac(
    sets: readonly string[],
    test: (sa: string, release: string, other: string) => void,
  ): Promise<void> {
    await withNamespace(async (release) => {
      const other = await createNamespace({ prefix: "rbac-other" });
      const name = `rbac-${randomBytes(3).toString("hex")}`;
      const rendered = template(name, release, sets, [
        "-s",
        "templates/serviceaccount.yaml",
        "-s",
        "templates/rbac.yaml",
      ]);
      try {
        const applied = kubectl(["apply", "-f", "-"], rendered);
        expect(applied.stderr).toBe("");
        test(`system:serviceaccount:${release}:${name}-slipway`, release, other);
      } finally {
        kubectl(["delete", "--ignore-not-found", "-f", "-"], rendered);
        await deleteNamespace(other);
      }
    });
  }

  it("the ServiceAccount can do what the controller and webhook need", async () => {
    await withRbac([], (sa, release, other) => {
      const yes: [string, string, ...string[]][] = [
        ["watch", "rollouts.rollouts.slipway.dev", "-A"],
        ["patch", "rollouts.rollouts.slipway.dev", "-n", other],
        ["update", "rollouts.rollouts.slipway.dev", "--subresource=status", "-n", other],
        ["update", "rollouts.rollouts.slipway.dev", "--subresource=finalizers", "-n", other],
        ["list", "clusteranalysistemplates.rollouts.slipway.dev"],
        ["patch", "deployments.apps", "-n", other],
        ["create", "replicasets.apps", "-n", other],
        ["delete", "replicasets.apps", "-n", other],
        ["patch", "statefulsets.apps", "-n", other],
        ["list", "controllerrevisions.apps", "-n", other],
        ["watch", "pods", "-n", other],
        ["create", "services", "-n", other],
        ["create", "ingresses.networking.k8s.io", "-n", other],
        ["patch", "virtualservices.networking.istio.io", "-n", other],
        ["create", "events", "-n", other],
        ["update", "mutatingwebhookconfigurations.admissionregistration.k8s.io/slipway"],
        ["update", "validatingwebhookconfigurations.admissionregistration.k8s.io/slipway"],
        ["get", `namespaces/${release}`],
        ["get", "secrets/slipway-webhook-certs", "-n", release],
        ["update", "secrets/slipway-webhook-certs", "-n", release],
        ["create", "secrets", "-n", release],
        ["create", "leases.coordination.k8s.io", "-n", release],
        ["update", "leases.coordination.k8s.io/slipway-controller", "-n", release],
      ];
      const denied = yes.filter(([verb, resource, ...flags]) => !can(sa, verb, resource, ...flags));
      expect(denied.map((c) => c.join(" "))).toEqual([]);
    });
  });

  it("it cannot read Secrets outside its namespace, nor touch what it does not need", async () => {
    await withRbac([], (sa, release, other) => {
      const no: [string, string, ...string[]][] = [
        ["get", "secrets", "-n", other],
        ["get", "secrets/slipway-webhook-certs", "-n", other],
        ["list", "secrets", "-A"],
        ["get", "secrets", "-n", "kube-system"],
        ["list", "secrets", "-n", release],
        ["get", "secrets/someone-elses", "-n", release],
        ["create", "mutatingwebhookconfigurations.admissionregistration.k8s.io"],
        ["update", "mutatingwebhookconfigurations.admissionregistration.k8s.io/not-slipway"],
        ["delete", "validatingwebhookconfigurations.admissionregistration.k8s.io/slipway"],
        ["create", "pods", "-n", other],
        ["delete", "pods", "-n", other],
        ["update", "leases.coordination.k8s.io/slipway-controller", "-n", other],
        ["get", `namespaces/${other}`],
        ["delete", "virtualservices.networking.istio.io", "-n", other],
        ["update", "clusterroles.rbac.authorization.k8s.io"],
        ["*", "*"],
      ];
      const allowed = no.filter(([verb, resource, ...flags]) => can(sa, verb, resource, ...flags));
      expect(allowed.map((c) => c.join(" "))).toEqual([]);
    });
  });

  it("with watchNamespaces the controller changes workloads only there (reads stay cluster-wide for admission)", async () => {
    const watched = await createNamespace({ prefix: "rbac-watched" });
    try {
      await withRbac([`watchNamespaces={${watched}}`], (sa, _release, other) => {
        expect(can(sa, "patch", "deployments.apps", "-n", watched)).toBe(true);
        expect(can(sa, "patch", "deployments.apps", "-n", other)).toBe(false);
        expect(can(sa, "list", "pods", "-n", other)).toBe(false);
        expect(can(sa, "get", "deployments.apps", "-n", other)).toBe(true);
        expect(can(sa, "watch", "rollouts.rollouts.slipway.dev", "-A")).toBe(true);
      });
    } finally {
      await deleteNamespace(watched);
    }
  });
});
