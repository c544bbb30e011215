// kubectl-slipway's actions on a real API server: what each one writes on a Rollout created from the CRDs
// (annotations of SPEC §3 with a merge patch, spec.paused), and refusals shown in plain words. The
// controller is not involved: these tests assert the CLI's side of the contract.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../../src/api/names.ts";
import { mergePatch } from "../../src/kube/patch.ts";
import { ROLLOUTS } from "../../src/kube/resources.ts";
import { applyYaml, clients, done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import {
  admin,
  annotationsOf,
  createRollout,
  getRollout,
  installCrds,
  pausedAt,
  rolloutManifest,
  slipway,
  writeStatus,
} from "./cli/support.ts";

beforeAll(async () => {
  await installCrds();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("kubectl slipway approve", () => {
  it("writes <current step>@<canary revision> from the live status and leaves other annotations alone", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, {
        ...rolloutManifest("web"),
        metadata: { name: "web", annotations: { "team.example/owner": "payments" } },
      });
      await writeStatus(ns, "web", pausedAt(2, "7c9d8b6f5"));
      const r = await slipway(["approve", "web", "-n", ns]);
      expect(r).toMatchObject({ code: 0, err: "" });
      expect(r.out).toContain(`rollout ${ns}/web: approved step 2 of revision 7c9d8b6f5`);
      const annotations = annotationsOf(await getRollout(ns, "web"));
      expect(annotations[ANNOTATION_APPROVE]).toBe("2@7c9d8b6f5");
      expect(annotations["team.example/owner"]).toBe("payments");
    });
  });

  it("refuses in plain words when no step is in progress, and writes nothing", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", { phase: "Healthy", currentStepIndex: 0, stableRevision: "5d8f9c7b6" });
      const r = await slipway(["approve", "web", "-n", ns]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `error: cannot approve rollout ${ns}/web: nothing to approve: rollout ${ns}/web is Healthy (no step in progress)\n`,
      );
      expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_APPROVE]).toBeUndefined();
    });
  });
});

describe("kubectl slipway abort / retry / promote", () => {
  it("abort and retry write the request time; promote writes step, promote --full writes full", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", pausedAt(1));
      const abort = await slipway(["abort", "web", "-n", ns]);
      expect([abort.code, abort.err]).toEqual([0, ""]);
      expect(abort.out).toContain("abort requested (traffic returns to stable, then the canary scales down)");
      expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_ABORT]).toMatch(ISO);

      const retry = await slipway(["retry", "web", "-n", ns], { now: Date.parse("2025-03-01T10:00:00Z") });
      expect(retry.code).toBe(0);
      expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_RETRY]).toBe("2025-03-01T10:00:00.000Z");

      expect((await slipway(["promote", "web", "-n", ns])).code).toBe(0);
      expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_PROMOTE]).toBe("step");
      const full = await slipway(["promote", "web", "--full", "-n", ns]);
      expect(full.out).toContain("every remaining step, pause and gate is skipped");
      expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_PROMOTE]).toBe("full");
    });
  });
});

describe("kubectl slipway pause / resume", () => {
  it("pause sets spec.paused, resume clears it and says that a waiting approval is still needed", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", pausedAt(2));
      const paused = await slipway(["pause", "web", "-n", ns]);
      expect(paused.out).toBe(
        `rollout ${ns}/web: paused (no progress until: kubectl slipway resume web -n ${ns})\n`,
      );
      expect((await getRollout(ns, "web"))["spec"]).toMatchObject({ paused: true });
      expect((await slipway(["pause", "web", "-n", ns])).out).toBe(`rollout ${ns}/web is already paused\n`);

      const resumed = await slipway(["resume", "web", "-n", ns]);
      expect(resumed.code).toBe(0);
      expect(resumed.out).toBe(
        `rollout ${ns}/web: resumed\n` +
          `note: step 2 waits for approval; resume does not approve it: kubectl slipway approve web -n ${ns}\n`,
      );
      expect((await getRollout(ns, "web"))["spec"]).toMatchObject({ paused: false });
    });
  });
});

describe("errors from the API server in plain words", () => {
  it("an admission refusal shows the policy's reason, not the HTTP envelope, and nothing is written", async () => {
    await withNamespace(async (ns) => {
      // A ValidatingAdmissionPolicy is a real admission refusal from the API server, as the Slipway
      // webhook's would be (same envelope, same path through the CLI).
      const name = `freeze-${randomBytes(3).toString("hex")}`;
      await applyYaml([
        {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicy",
          metadata: { name },
          spec: {
            failurePolicy: "Fail",
            matchConstraints: {
              resourceRules: [
                {
                  apiGroups: ["rollouts.slipway.dev"],
                  apiVersions: ["*"],
                  operations: ["UPDATE"],
                  resources: ["rollouts"],
                },
              ],
            },
            validations: [
              {
                expression: `!has(object.metadata.annotations) || !('${ANNOTATION_APPROVE}' in object.metadata.annotations)`,
                message: "releases are frozen until Monday: ask #release-desk",
              },
            ],
          },
        },
        {
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingAdmissionPolicyBinding",
          metadata: { name },
          spec: {
            policyName: name,
            validationActions: ["Deny"],
            matchResources: {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
            },
          },
        },
      ] as never);
      try {
        await createRollout(ns, rolloutManifest("web"));
        await writeStatus(ns, "web", pausedAt(2));
        // A new policy takes effect once the API server's informer has it: probe with a dry run.
        await waitFor("the policy to refuse approvals", async () => {
          try {
            await mergePatch(
              admin(),
              { resource: ROLLOUTS, name: "web", namespace: ns },
              { metadata: { annotations: { [ANNOTATION_APPROVE]: "2" } } },
              { dryRun: true },
            );
            return notYet("approval still allowed");
          } catch (err) {
            return /frozen/.test(String(err)) ? done(undefined) : notYet(err);
          }
        });
        const r = await slipway(["approve", "web", "-n", ns]);
        expect(r.code).toBe(1);
        expect(r.err).toBe(
          `error: cannot approve rollout ${ns}/web: refused by ${name}: releases are frozen until Monday: ask #release-desk\n`,
        );
        expect(annotationsOf(await getRollout(ns, "web"))[ANNOTATION_APPROVE]).toBeUndefined();
      } finally {
        await clients().admission.deleteValidatingAdmissionPolicyBinding({ name });
        await clients().admission.deleteValidatingAdmissionPolicy({ name });
      }
    });
  });

  it("RBAC: a user without rights is told permission denied, with the server's reason", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      const r = await slipway(["abort", "web", "-n", ns], { as: "alice" });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        new RegExp(
          `^error: cannot abort rollout ${ns}/web: permission denied: .*alice.* cannot patch resource "rollouts".*Ask a cluster admin for RBAC access\\.\\n$`,
        ),
      );
    });
  });

  it("a missing Rollout, a wrong context and a missing kubeconfig name the fix", async () => {
    await withNamespace(async (ns) => {
      const missing = await slipway(["approve", "nope", "-n", ns]);
      expect(missing.err).toBe(
        `error: cannot approve rollout ${ns}/nope: rollout ${ns}/nope not found (check the name and -n; list Rollouts with: kubectl slipway get -A).\n`,
      );
      const context = await slipway(["get", "-n", ns, "--context", "nowhere"]);
      expect(context.err).toMatch(
        /^error: cannot list rollouts in namespace .*: context "nowhere" is not in the kubeconfig \(flag\); pick one of: /,
      );
    });
  });
});
