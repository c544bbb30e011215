import { describe, expect, it } from "vitest";
import { canonicalTemplate, templateChanged, templateHash } from "./template-diff.ts";

const template = (image: string, metadata: Record<string, unknown> = { labels: { app: "web" } }) => ({
  metadata: { creationTimestamp: null, ...metadata },
  spec: { containers: [{ name: "web", image, args: [] as string[] }], securityContext: {} },
});

describe("templateChanged", () => {
  it("sees an image change", () => {
    expect(templateChanged(template("web:1"), template("web:2"))).toBe(true);
  });

  it("ignores the pod-template-hash label", () => {
    const hashed = template("web:1", { labels: { app: "web", "pod-template-hash": "5d8f9c7b6" } });
    expect(templateChanged(template("web:1"), hashed)).toBe(false);
  });

  it("ignores listed label and annotation keys, and nothing else", () => {
    const before = template("web:1", { labels: { app: "web" }, annotations: { "example.com/build": "1" } });
    const after = template("web:1", { labels: { app: "web", "example.com/build": "2" } });
    expect(templateChanged(before, after, ["example.com/build"])).toBe(false);
    expect(templateChanged(before, after)).toBe(true);
    const restarted = template("web:1", {
      labels: { app: "web" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "now" },
    });
    expect(templateChanged(before, restarted, ["example.com/build"])).toBe(true);
  });

  it("treats empty and absent fields alike, and key order as irrelevant", () => {
    const sparse = {
      spec: { containers: [{ image: "web:1", name: "web" }] },
      metadata: { labels: { app: "web" } },
    };
    expect(templateChanged(template("web:1"), sparse)).toBe(false);
    expect(canonicalTemplate(undefined)).toBeNull();
  });
});

describe("templateHash", () => {
  it("is stable for equal templates and differs for different ones", () => {
    const hash = templateHash(template("web:1"));
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(templateHash(template("web:1", { labels: { app: "web", "pod-template-hash": "x" } }))).toBe(hash);
    expect(templateHash(template("web:2"))).not.toBe(hash);
  });
});
