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
import { installCrds } from "./rollout/fixtures.ts";
import { mutatingConfiguration, validatingConfiguration } from "../../webhook/configurations.ts";

type Check = [verb: string, resource: string, ...flags: string[]];
/** One can-i question per verb. */
const verbs = (list: readonly string[], resource: string, ...flags: string[]): Check[] =>
  list.map((verb) => [verb, resource, ...flags]);

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

  it("renders the webhook entries exactly as webhook/configurations.ts builds them (the controller patches only the caBundle)", () => {
    const all = docs(template("slipway", "slipway-system"));
    const input = {
      endpoint: { type: "service", namespace: "slipway-system", name: "slipway-webhook", port: 443 },
      caBundle: undefined,
      namespace: "slipway-system",
    } as const;
    expect(at(find(all, "MutatingWebhookConfiguration", "slipway"), "webhooks")).toEqual(
      mutatingConfiguration(input)["webhooks"],
    );
    expect(at(find(all, "ValidatingWebhookConfiguration", "slipway"), "webhooks")).toEqual(
      validatingConfiguration(input)["webhooks"],
    );
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
    // Likewise Slipway's own resources: served once the CRDs are installed (not yet on a fresh cluster).
    await installCrds();
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
    const answer = r.stdout.trim();
    // A "no" to a question about a resource the server does not know would prove nothing.
    if ((answer !== "yes" && answer !== "no") || /resource type/.test(r.stderr))
      throw new Error(`kubectl auth can-i ${verb} ${resource} ${flags.join(" ")}: ${r.stdout}${r.stderr}`);
    return answer === "yes";
  }

  /**
   * The same question as a SubjectAccessReview, for a resource the API server may not serve (OpenKruise's
   * CloneSets): `kubectl auth can-i` resolves its argument through discovery and asks the wrong thing then.
   */
  function canByReview(
    sa: string,
    verb: string,
    group: string,
    resource: string,
    namespace: string,
  ): boolean {
    const [, saNamespace] = sa.split(":");
    const review = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: sa,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${saNamespace}`, "system:authenticated"],
        resourceAttributes: { verb, group, resource, namespace },
      },
    };
    const r = kubectl(["create", "-o", "json", "-f", "-"], JSON.stringify(review));
    if (r.status !== 0) throw new Error(`SubjectAccessReview failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { status?: { allowed?: boolean } }).status?.allowed === true;
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

  // Every call the controller and the webhook make (docs/decisions/operate-rbac-inventory.md), by verb.
  const needed = (release: string, other: string): Check[] => [
    ...verbs(["get", "list", "watch", "update", "patch"], "rollouts.rollouts.slipway.dev", "-n", other),
    ["watch", "rollouts.rollouts.slipway.dev", "-A"],
    ...verbs(
      ["get", "update", "patch"],
      "rollouts.rollouts.slipway.dev",
      "--subresource=status",
      "-n",
      other,
    ),
    ["update", "rollouts.rollouts.slipway.dev", "--subresource=finalizers", "-n", other],
    ...verbs(["get", "list", "watch"], "analysistemplates.rollouts.slipway.dev", "-n", other),
    ...verbs(["get", "list", "watch"], "clusteranalysistemplates.rollouts.slipway.dev"),
    ...verbs(["get", "list", "watch", "create", "patch", "delete"], "deployments.apps", "-n", other),
    ["update", "deployments.apps", "--subresource=finalizers", "-n", other],
    ...verbs(["get", "list", "watch", "patch"], "statefulsets.apps", "-n", other),
    ...verbs(["get", "list", "watch", "create", "patch"], "replicasets.apps", "-n", other),
    ...verbs(["list", "watch"], "controllerrevisions.apps", "-n", other),
    ...verbs(["list", "watch", "delete"], "pods", "-n", other),
    ...verbs(["get", "create", "patch", "delete"], "services", "-n", other),
    ...verbs(["get", "create", "patch", "delete"], "ingresses.networking.k8s.io", "-n", other),
    ...verbs(["get", "patch"], "virtualservices.networking.istio.io", "-n", other),
    ...verbs(["get", "patch"], "destinationrules.networking.istio.io", "-n", other),
    ...verbs(["create", "patch"], "events.events.k8s.io", "-n", other),
    ...verbs(["get", "patch"], "mutatingwebhookconfigurations.admissionregistration.k8s.io/slipway"),
    ...verbs(["get", "patch"], "validatingwebhookconfigurations.admissionregistration.k8s.io/slipway"),
    ["get", `namespaces/${release}`],
    ["create", "secrets", "-n", release],
    ...verbs(["get", "update"], "secrets/slipway-webhook-certs", "-n", release),
    // Header values of ClusterAnalysisTemplates come from Secrets in Slipway's namespace, by name.
    ["get", "secrets/prometheus-token", "-n", release],
    ["create", "leases.coordination.k8s.io", "-n", release],
    ...verbs(["get", "update"], "leases.coordination.k8s.io/slipway-controller", "-n", release),
  ];

  // What it must not do: Secrets elsewhere, anything it never calls, and every cluster-wide power.
  const forbidden = (release: string, other: string): Check[] => [
    ...verbs(["get", "list", "watch"], "secrets", "-n", other),
    ["get", "secrets/slipway-webhook-certs", "-n", other],
    ["list", "secrets", "-A"],
    ["get", "secrets", "-n", "kube-system"],
    ...verbs(["list", "watch", "delete", "patch"], "secrets", "-n", release),
    ["update", "secrets/someone-elses", "-n", release],
    ["create", "secrets", "-n", other],
    // Workloads are patched, never replaced; only the canary Deployment is ever deleted.
    ...verbs(["update"], "deployments.apps", "-n", other),
    ...verbs(["create", "update", "delete"], "statefulsets.apps", "-n", other),
    ...verbs(["update", "delete"], "replicasets.apps", "-n", other),
    ...verbs(["create", "update", "patch", "get"], "pods", "-n", other),
    ["create", "pods", "--subresource=exec", "-n", other],
    ["create", "pods", "--subresource=eviction", "-n", other],
    ...verbs(["list", "watch", "update"], "services", "-n", other),
    ...verbs(["list", "update"], "ingresses.networking.k8s.io", "-n", other),
    ...verbs(["create", "delete", "update", "list"], "virtualservices.networking.istio.io", "-n", other),
    ...verbs(["create", "delete"], "destinationrules.networking.istio.io", "-n", other),
    ...verbs(["create", "delete"], "rollouts.rollouts.slipway.dev", "-n", other),
    ...verbs(["update", "delete"], "analysistemplates.rollouts.slipway.dev", "-n", other),
    ["update", "clusteranalysistemplates.rollouts.slipway.dev"],
    ["get", "configmaps", "-n", other],
    ["create", "mutatingwebhookconfigurations.admissionregistration.k8s.io"],
    ["list", "mutatingwebhookconfigurations.admissionregistration.k8s.io"],
    ["update", "mutatingwebhookconfigurations.admissionregistration.k8s.io/slipway"],
    ["patch", "mutatingwebhookconfigurations.admissionregistration.k8s.io/not-slipway"],
    ["delete", "validatingwebhookconfigurations.admissionregistration.k8s.io/slipway"],
    ["get", `namespaces/${other}`],
    ["create", "namespaces"],
    ["delete", `namespaces/${release}`],
    ["update", "leases.coordination.k8s.io/slipway-controller", "-n", other],
    ["update", "leases.coordination.k8s.io/someone-elses", "-n", release],
    ["delete", "leases.coordination.k8s.io/slipway-controller", "-n", release],
    ["update", "clusterroles.rbac.authorization.k8s.io"],
    ["create", "rolebindings.rbac.authorization.k8s.io", "-n", other],
    ["create", "serviceaccounts", "--subresource=token", "-n", release],
    ["impersonate", "users"],
    ["list", "nodes"],
    ["*", "*"],
  ];

  it("the ServiceAccount can make every call the controller and webhook make", async () => {
    await withRbac([], (sa, release, other) => {
      const checks = needed(release, other);
      expect(checks.length).toBeGreaterThan(60);
      const denied = checks.filter(([verb, resource, ...flags]) => !can(sa, verb, resource, ...flags));
      expect(denied.map((c) => c.join(" "))).toEqual([]);
      const cloneSets = ["get", "list", "watch", "patch"].filter(
        (verb) => !canByReview(sa, verb, "apps.kruise.io", "clonesets", other),
      );
      expect(cloneSets).toEqual([]);
    });
  });

  it("it cannot read Secrets outside its namespace, nor do anything the code never does", async () => {
    await withRbac([], (sa, release, other) => {
      const allowed = forbidden(release, other).filter(([verb, resource, ...flags]) =>
        can(sa, verb, resource, ...flags),
      );
      expect(allowed.map((c) => c.join(" "))).toEqual([]);
      const cloneSets = ["create", "update", "delete"].filter((verb) =>
        canByReview(sa, verb, "apps.kruise.io", "clonesets", other),
      );
      expect(cloneSets).toEqual([]);
    });
  });

  it("rbac.secretNamespaces lets it GET (never list) Secrets in the listed namespaces only", async () => {
    const tenant = await createNamespace({ prefix: "rbac-tenant" });
    try {
      await withRbac([`rbac.secretNamespaces={${tenant}}`], (sa, _release, other) => {
        expect(can(sa, "get", "secrets/analysis-token", "-n", tenant)).toBe(true);
        expect(can(sa, "list", "secrets", "-n", tenant)).toBe(false);
        expect(can(sa, "watch", "secrets", "-n", tenant)).toBe(false);
        expect(can(sa, "update", "secrets/analysis-token", "-n", tenant)).toBe(false);
        expect(can(sa, "get", "secrets/analysis-token", "-n", other)).toBe(false);
      });
    } finally {
      await deleteNamespace(tenant);
    }
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
        expect(can(sa, "delete", "pods", "-n", watched)).toBe(true);
        expect(can(sa, "delete", "pods", "-n", other)).toBe(false);
        expect(can(sa, "create", "events.events.k8s.io", "-n", other)).toBe(false);
        expect(can(sa, "get", "secrets", "-n", watched)).toBe(false);
      });
    } finally {
      await deleteNamespace(watched);
    }
  });
});
