// A throwaway mutating admission webhook for the smoke test: a fastify HTTPS server on 127.0.0.1 with a
// self-signed certificate, registered by URL (never by Service: the API server would dial a ClusterIP).
import Fastify from "fastify";
import { selfSignedServingCert } from "../cluster/pki.ts";
import { clients } from "./lib/clients.ts";

export interface SeenRequest {
  readonly uid: string;
  readonly kind: string;
  readonly operation: string;
  readonly namespace: string;
  readonly name: string;
}

interface AdmissionReview {
  readonly apiVersion: string;
  readonly kind: string;
  readonly request?: {
    readonly uid: string;
    readonly kind: { readonly kind: string };
    readonly operation: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly object?: {
      readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
    };
  };
}

export interface RunningWebhook {
  readonly port: number;
  readonly label: string;
  readonly requests: SeenRequest[];
  stop(): Promise<void>;
}

/** Adds `label: "true"` to ConfigMaps created in `namespace` (and only there). */
export async function startMutatingWebhook(namespace: string): Promise<RunningWebhook> {
  const label = "smoke.slipway.dev/mutated";
  const { certPem, keyPem } = selfSignedServingCert();
  const requests: SeenRequest[] = [];
  const app = Fastify({ https: { cert: certPem, key: keyPem } });
  app.post("/mutate", async (req) => {
    const review = req.body as AdmissionReview;
    const r = review.request;
    if (r === undefined) throw new Error("AdmissionReview without request");
    const name = r.name ?? r.object?.metadata?.name ?? "";
    requests.push({
      uid: r.uid,
      kind: r.kind.kind,
      operation: r.operation,
      namespace: r.namespace ?? "",
      name,
    });
    const escaped = label.replace(/~/g, "~0").replace(/\//g, "~1");
    const patch = r.object?.metadata?.labels
      ? [{ op: "add", path: `/metadata/labels/${escaped}`, value: "true" }]
      : [{ op: "add", path: "/metadata/labels", value: { [label]: "true" } }];
    return {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: r.uid,
        allowed: true,
        patchType: "JSONPatch",
        patch: Buffer.from(JSON.stringify(patch)).toString("base64"),
      },
    };
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("webhook server has no TCP address");
  const port = address.port;

  const configName = `smoke-${namespace}`;
  await clients().admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: configName },
      webhooks: [
        {
          name: "smoke.slipway.dev",
          clientConfig: {
            url: `https://127.0.0.1:${port}/mutate`,
            caBundle: Buffer.from(certPem).toString("base64"),
          },
          rules: [
            { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"] },
          ],
          // Scoped to the test's namespace so a stopped server can never block anyone else's writes.
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          failurePolicy: "Fail",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 5,
        },
      ],
    },
  });

  return {
    port,
    label,
    requests,
    async stop() {
      await clients().admission.deleteMutatingWebhookConfiguration({ name: configName });
      await app.close();
    },
  };
}
