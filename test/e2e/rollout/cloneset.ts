// OpenKruise CloneSets in the release scenarios: read one, and change its pod template as `kubectl edit` would.
import { CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
import { clients, done, notYet, statusCode, waitFor } from "../lib/index.ts";

export interface CloneSetView extends KubernetesObject {
  spec: {
    replicas?: number;
    template: {
      metadata?: { labels?: Record<string, string> };
      spec: { containers: { name: string; image?: string }[] };
    };
    updateStrategy?: { partition?: number | string; paused?: boolean; [key: string]: unknown };
  };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

// Custom objects are sent and read as plain JSON (no typed model that could drop fields it does not know).
const api = () => clients().kc.makeApiClient(CustomObjectsApi);
const at = (namespace: string, name: string) => ({
  group: "apps.kruise.io",
  version: "v1alpha1",
  plural: "clonesets",
  namespace,
  name,
});

export async function getCloneSet(namespace: string, name: string): Promise<CloneSetView> {
  return (await api().getNamespacedCustomObject(at(namespace, name))) as CloneSetView;
}

/**
 * Sets the image of container `app` and the given template labels (null removes one) with GET + PUT, so the
 * rest of the template stays exactly as it is (a revert then matches the old revision's hash). Retried on a
 * conflict (kruise writes the status meanwhile) and while the webhook restarts (5xx).
 */
export async function setCloneSetTemplate(
  namespace: string,
  name: string,
  image: string,
  labels: Record<string, string | null> = {},
): Promise<void> {
  const outcome = await waitFor(
    `set the image of CloneSet ${namespace}/${name} to ${image}`,
    async () => {
      const cs = await getCloneSet(namespace, name);
      const template = cs.spec.template;
      const merged = { ...template.metadata?.labels };
      for (const [key, value] of Object.entries(labels)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      template.metadata = { ...template.metadata, labels: merged };
      template.spec.containers = template.spec.containers.map((c) =>
        c.name === "app" ? { ...c, image } : c,
      );
      try {
        await api().replaceNamespacedCustomObject({ ...at(namespace, name), body: cs });
        return done(undefined);
      } catch (err) {
        const code = statusCode(err);
        if (code === 409 || code === undefined || code >= 500) return notYet(err);
        return done(err);
      }
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  if (outcome !== undefined) throw outcome;
}
