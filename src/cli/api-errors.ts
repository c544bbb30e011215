// API server refusals in plain words. The raw error says "patch rollouts shop/web failed: 400 BadRequest:
// admission webhook "rollouts.rollouts.slipway.dev" denied the request: ..."; a person wants the reason and
// what to do next.
import { ApiError, describePath } from "../kube/errors.ts";

const WEBHOOK_DENIED = /admission webhook "([^"]+)" denied the request:\s*([\s\S]*)$/;
const POLICY_DENIED =
  /ValidatingAdmissionPolicy '([^']+)'(?: with binding '[^']+')? denied request:\s*([\s\S]*)$/;
const WEBHOOK_UNREACHABLE = /failed calling webhook "([^"]+)":\s*([\s\S]*)$/;

/** `rollout shop/web` from a request path. */
function objectName(path: string): string {
  const p = describePath(path);
  const kind = p.resource.endsWith("sses") ? p.resource.slice(0, -2) : p.resource.replace(/s$/, "");
  if (p.name === undefined)
    return p.namespace === undefined ? p.resource : `${p.resource} in namespace ${p.namespace}`;
  return `${kind} ${p.namespace === undefined ? "" : `${p.namespace}/`}${p.name}`;
}

/**
 * One or two sentences for the terminal. `doing` says what the command tried ("approve rollout shop/web").
 * Non-API errors (a bad kubeconfig) keep their own message, which already names the fix.
 */
export function plainError(err: unknown, doing: string): string {
  if (!(err instanceof ApiError))
    return `cannot ${doing}: ${err instanceof Error ? err.message : String(err)}`;
  const message = err.serverMessage.trim();
  const denied = WEBHOOK_DENIED.exec(message) ?? POLICY_DENIED.exec(message);
  if (denied) return `cannot ${doing}: refused by ${denied[1]}: ${denied[2]?.trim()}`;
  const unreachable = WEBHOOK_UNREACHABLE.exec(message);
  if (unreachable) {
    return (
      `cannot ${doing}: the admission webhook ${unreachable[1]} did not answer (${firstLine(unreachable[2])}). ` +
      "It fails closed, so nothing was changed. Check that the Slipway controller is running " +
      "(kubectl get pods -n slipway-system) and try again."
    );
  }
  const target = objectName(err.path);
  switch (err.status) {
    case 0:
      return (
        `cannot ${doing}: the Kubernetes API server is unreachable (${firstLine(message)}). ` +
        "Check --kubeconfig/--context and that the cluster is up."
      );
    case 401:
      return `cannot ${doing}: the API server did not accept your credentials; log in again or check the kubeconfig.`;
    case 403:
      return `cannot ${doing}: permission denied: ${message}. Ask a cluster admin for RBAC access.`;
    case 404:
      return `cannot ${doing}: ${target} not found (check the name and -n; list Rollouts with: kubectl slipway get -A).`;
    case 409:
      return `cannot ${doing}: ${target} changed while the command ran; run it again.`;
    case 422:
      return `cannot ${doing}: the API server rejected the change as invalid: ${message}`;
    default:
      return `cannot ${doing}: ${message} (HTTP ${err.status} ${err.reason})`;
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0]?.trim() ?? "";
}
