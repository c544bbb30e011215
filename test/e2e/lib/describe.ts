// A compact text picture of a namespace for timeout messages: workloads, pods per revision, Events.
import type { CoreV1Event } from "@kubernetes/client-node";
import { clients } from "./clients.ts";
import { formatRevisions, groupByRevision } from "./pods.ts";

const conditions = (list: readonly { type: string; status: string; reason?: string }[] | undefined): string =>
  (list ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ""}`).join(" ");

function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

export async function describeNamespace(namespace: string, eventCount = 15): Promise<string> {
  const { apps, core } = clients();
  const [deployments, replicaSets, statefulSets, pods, events] = await Promise.all([
    apps.listNamespacedDeployment({ namespace }),
    apps.listNamespacedReplicaSet({ namespace }),
    apps.listNamespacedStatefulSet({ namespace }),
    core.listNamespacedPod({ namespace }),
    core.listNamespacedEvent({ namespace }),
  ]);
  const out: string[] = [`namespace ${namespace}`];
  for (const d of deployments.items) {
    const s = d.status;
    out.push(
      `Deployment ${d.metadata?.name} gen=${d.metadata?.generation}/${s?.observedGeneration} paused=${d.spec?.paused ?? false} ` +
        `replicas=${s?.replicas ?? 0} updated=${s?.updatedReplicas ?? 0} ready=${s?.readyReplicas ?? 0} ` +
        `available=${s?.availableReplicas ?? 0} ${conditions(s?.conditions)}`,
    );
  }
  for (const rs of replicaSets.items) {
    out.push(
      `ReplicaSet ${rs.metadata?.name} spec=${rs.spec?.replicas} replicas=${rs.status?.replicas} ready=${rs.status?.readyReplicas ?? 0}`,
    );
  }
  for (const sts of statefulSets.items) {
    const s = sts.status;
    out.push(
      `StatefulSet ${sts.metadata?.name} partition=${sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0} ` +
        `current=${s?.currentRevision} update=${s?.updateRevision} replicas=${s?.replicas} ready=${s?.readyReplicas ?? 0} updated=${s?.updatedReplicas ?? 0}`,
    );
  }
  out.push("pods by revision:", formatRevisions(groupByRevision(pods.items)));
  const recent = [...events.items].sort((a, b) => eventTime(a) - eventTime(b)).slice(-eventCount);
  out.push(`last ${recent.length} events:`);
  for (const e of recent) {
    out.push(`  ${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message ?? ""}`);
  }
  return out.join("\n");
}
