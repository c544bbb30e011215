// One error type for everything the API server (or the road to it) says no to, phrased so a person
// can act on it: the verb, the object, what the server said, and what usually fixes it.

import { ApiException } from "@kubernetes/client-node";

/** The parts of a request path an error message needs. */
export interface PathParts {
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** Reads `/api/v1/namespaces/ns/pods/x/status` into its parts; unknown shapes come back as the raw path. */
export function describePath(path: string): PathParts {
  const bare = path.split("?")[0] ?? path;
  const segments = bare.split("/").filter((s) => s !== "");
  const rest =
    segments[0] === "api" ? segments.slice(2) : segments[0] === "apis" ? segments.slice(3) : undefined;
  if (rest === undefined || rest.length === 0) return { resource: bare };
  const decoded = rest.map((s) => decodeURIComponent(s));
  if (decoded[0] === "namespaces" && decoded.length >= 3) {
    const [, namespace, resource, name, subresource] = decoded;
    return { resource: resource ?? "", namespace, name, subresource };
  }
  const [resource, name, subresource] = decoded;
  return { resource: resource ?? "", name, subresource };
}

/** `deployments shop/web (status)` — how messages name an object. */
export function describeTarget(path: string): string {
  const p = describePath(path);
  const id =
    p.name === undefined
      ? p.namespace === undefined
        ? ""
        : ` in namespace ${p.namespace}`
      : ` ${p.namespace === undefined ? "" : `${p.namespace}/`}${p.name}`;
  const sub = p.subresource === undefined ? "" : ` (${p.subresource})`;
  return `${p.resource}${id}${sub}`;
}

/** The Kubernetes verb for an HTTP method on a path (`get` vs `list` needs the path). */
export function verbFor(method: string, path: string, watch = false): string {
  switch (method.toUpperCase()) {
    case "GET":
      if (watch) return "watch";
      return describePath(path).name === undefined ? "list" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return method.toLowerCase();
  }
}

function hintFor(status: number, reason: string, verb: string, resource: string): string {
  if (reason === "Conflict")
    return "the object changed since it was read; re-read it and recompute the change";
  if (reason === "AlreadyExists") return "an object with this name already exists";
  if (status === 404)
    return "it does not exist (deleted, wrong name or namespace, or its CRD is not installed)";
  if (status === 403)
    return `the credentials in use may not ${verb} ${resource}; grant it in the controller's ClusterRole`;
  if (status === 401)
    return "the API server rejected the credentials; check the kubeconfig or service-account token";
  if (status === 410) return "the resourceVersion is too old; list again";
  if (status === 415)
    return "the API does not accept this patch type here (strategic merge works on built-in kinds only)";
  if (status === 422) return "the API server rejected the object as invalid; fix the fields named above";
  if (status === 429) return "the API server is throttling; retry with backoff";
  if (status === 0)
    return "check that the API server is running and the kubeconfig's server address is right";
  if (status >= 500) return "the API server failed; retry with backoff";
  return "";
}

export interface ApiErrorInit {
  readonly status: number;
  readonly reason: string;
  readonly serverMessage: string;
  readonly verb: string;
  readonly path: string;
  readonly causes?: readonly unknown[];
}

/** Any refusal: `status` is the HTTP code (0 when the server could not be reached), `reason` the Status reason. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly serverMessage: string;
  readonly verb: string;
  readonly path: string;
  readonly causes: readonly unknown[];

  constructor(init: ApiErrorInit) {
    const target = describeTarget(init.path);
    const hint = hintFor(init.status, init.reason, init.verb, describePath(init.path).resource);
    const code = init.status === 0 ? "unreachable" : `${init.status} ${init.reason}`;
    super(`${init.verb} ${target} failed: ${code}: ${init.serverMessage}${hint === "" ? "" : ` (${hint})`}`);
    this.name = "ApiError";
    this.status = init.status;
    this.reason = init.reason;
    this.serverMessage = init.serverMessage;
    this.verb = init.verb;
    this.path = init.path;
    this.causes = init.causes ?? [];
  }
}

/** A write lost an optimistic-concurrency race (409 Conflict): re-read, recompute, try again. */
export class ConflictError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init);
    this.name = "ConflictError";
  }
}

const REASON_BY_STATUS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

interface StatusBody {
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly details?: { readonly causes?: unknown };
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === "string") {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === "object" && parsed !== null ? (parsed as StatusBody) : {};
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return typeof body === "object" && body !== null ? (body as StatusBody) : {};
}

/** Builds the right error class from an HTTP status and a response body (a Status object or text). */
export function apiErrorFrom(status: number, body: unknown, verb: string, path: string): ApiError {
  const parsed = parseStatus(body);
  const reason =
    typeof parsed.reason === "string" && parsed.reason !== ""
      ? parsed.reason
      : (REASON_BY_STATUS[status] ?? "Unknown");
  const serverMessage =
    typeof parsed.message === "string" && parsed.message !== "" ? parsed.message : `HTTP ${status}`;
  const causes = Array.isArray(parsed.details?.causes) ? (parsed.details.causes as unknown[]) : [];
  const init: ApiErrorInit = { status, reason, serverMessage, verb, path, causes };
  return status === 409 && reason === "Conflict" ? new ConflictError(init) : new ApiError(init);
}

/** The server could not be reached at all (refused, reset, TLS failure, timeout). */
export function unreachableError(cause: unknown, verb: string, path: string): ApiError {
  const message = cause instanceof Error ? describeCause(cause) : String(cause);
  return new ApiError({ status: 0, reason: "Unreachable", serverMessage: message, verb, path });
}

function describeCause(err: Error): string {
  // undici wraps the socket error: "fetch failed" with `cause` carrying ECONNREFUSED and friends.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${cause.message}`;
  return err.message;
}

/**
 * Wraps whatever a generated client-node API call threw into an ApiError. `ApiException.body` is a raw
 * JSON string in client-node 1.x/2.x, which is why this parses it.
 */
export function toApiError(err: unknown, verb: string, path: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ApiException) return apiErrorFrom(err.code, err.body, verb, path);
  return unreachableError(err, verb, path);
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
export function isConflict(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.reason === "AlreadyExists";
}
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 410 || err.reason === "Expired" || err.reason === "Gone");
}
