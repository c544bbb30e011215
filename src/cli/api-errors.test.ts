import { describe, expect, it } from "vitest";
import { apiErrorFrom, unreachableError } from "../kube/errors.ts";
import { plainError } from "./api-errors.ts";

const PATH = "/apis/rollouts.slipway.dev/v1alpha1/namespaces/shop/rollouts/web";
const status = (code: number, reason: string, message: string) =>
  apiErrorFrom(code, JSON.stringify({ kind: "Status", reason, message }), "patch", PATH);

describe("plainError", () => {
  it("an admission webhook refusal keeps only the webhook's reason", () => {
    const err = status(
      400,
      "BadRequest",
      'admission webhook "rollouts.rollouts.slipway.dev" denied the request: rollout shop/web is at step 1, not step 2',
    );
    expect(plainError(err, "approve rollout shop/web")).toBe(
      "cannot approve rollout shop/web: refused by rollouts.rollouts.slipway.dev: rollout shop/web is at step 1, not step 2",
    );
  });

  it("a ValidatingAdmissionPolicy refusal reads the same way", () => {
    const err = status(
      422,
      "Invalid",
      "rollouts.rollouts.slipway.dev \"web\" is forbidden: ValidatingAdmissionPolicy 'freeze' with binding 'freeze' denied request: releases are frozen",
    );
    expect(plainError(err, "abort rollout shop/web")).toBe(
      "cannot abort rollout shop/web: refused by freeze: releases are frozen",
    );
  });

  it("an unreachable fail-closed webhook says nothing changed and what to check", () => {
    const err = status(
      500,
      "InternalError",
      'Internal error occurred: failed calling webhook "rollouts.rollouts.slipway.dev": failed to call webhook: Post "https://127.0.0.1:9443/validate-rollout": connection refused',
    );
    const text = plainError(err, "approve rollout shop/web");
    expect(text).toContain("the admission webhook rollouts.rollouts.slipway.dev did not answer");
    expect(text).toContain("nothing was changed");
    expect(text).toContain("kubectl get pods -n slipway-system");
  });

  it("RBAC, missing objects, conflicts and an unreachable API server in plain words", () => {
    expect(plainError(status(403, "Forbidden", 'User "alice" cannot patch resource "rollouts"'), "x")).toBe(
      'cannot x: permission denied: User "alice" cannot patch resource "rollouts". Ask a cluster admin for RBAC access.',
    );
    expect(plainError(status(404, "NotFound", "not found"), "get rollout shop/web")).toContain(
      "rollout shop/web not found (check the name and -n",
    );
    expect(plainError(status(409, "Conflict", "changed"), "undo")).toBe(
      "cannot undo: rollout shop/web changed while the command ran; run it again.",
    );
    expect(
      plainError(unreachableError(new Error("connect ECONNREFUSED 127.0.0.1:26443"), "get", PATH), "get"),
    ).toBe(
      "cannot get: the Kubernetes API server is unreachable (connect ECONNREFUSED 127.0.0.1:26443). Check --kubeconfig/--context and that the cluster is up.",
    );
  });

  it("errors that are not API errors keep their message (it names the fix)", () => {
    expect(
      plainError(new Error("nothing to approve: rollout shop/web is Healthy"), "approve rollout shop/web"),
    ).toBe("cannot approve rollout shop/web: nothing to approve: rollout shop/web is Healthy");
  });
});
