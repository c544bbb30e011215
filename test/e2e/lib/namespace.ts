// One namespace per test: unique name, labelled, deleted afterwards (kept when SLIPWAY_KEEP_NAMESPACES=1).
import { randomBytes } from "node:crypto";
import { clients, statusCode } from "./clients.ts";
import { done, notYet, waitFor } from "../../cluster/wait.ts";

/** Every namespace the harness creates carries this label, so leftovers can be found and removed. */
export const E2E_NAMESPACE_LABEL = "slipway.dev/e2e";

export interface NamespaceOptions {
  /** Name prefix (lower-case letters, digits, dashes); a random suffix is added. */
  readonly prefix?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Wait until the namespace is fully gone after the test (slower; proves pods were removed). */
  readonly waitForDeletion?: boolean;
}

function uniqueName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "e2e";
  return `${clean}-${randomBytes(3).toString("hex")}`;
}

/** Creates a namespace and waits for its `default` ServiceAccount (pods are rejected before it exists). */
export async function createNamespace(options: NamespaceOptions = {}): Promise<string> {
  const { core } = clients();
  const name = uniqueName(options.prefix ?? "e2e");
  await core.createNamespace({
    body: { metadata: { name, labels: { [E2E_NAMESPACE_LABEL]: "true", ...options.labels } } },
  });
  await waitFor(`ServiceAccount ${name}/default`, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: "default", namespace: name });
      return done(undefined);
    } catch (err) {
      return notYet(err);
    }
  });
  return name;
}

export async function deleteNamespace(name: string, waitForDeletion = false): Promise<void> {
  const { core } = clients();
  try {
    await core.deleteNamespace({ name });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  if (!waitForDeletion) return;
  await waitFor(
    `namespace ${name} deleted`,
    async () => {
      try {
        const ns = await core.readNamespace({ name });
        return notYet(ns.status);
      } catch (err) {
        return statusCode(err) === 404 ? done(undefined) : notYet(err);
      }
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}

/** Runs `fn` with a fresh namespace and deletes it afterwards, whether `fn` passed or threw. */
export async function withNamespace<T>(
  fn: (namespace: string) => Promise<T>,
  options: NamespaceOptions = {},
): Promise<T> {
  const name = await createNamespace(options);
  try {
    return await fn(name);
  } finally {
    if (process.env["SLIPWAY_KEEP_NAMESPACES"] !== "1") await deleteNamespace(name, options.waitForDeletion);
  }
}
