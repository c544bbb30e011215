import { describe, expect, it } from "vitest";
import { podTemplateHash, replicaSetName, safeEncode, templatesEqualIgnoringHash } from "./pod-template.ts";
import { template } from "./testing/fixtures.ts";

describe("templatesEqualIgnoringHash (as deploymentutil.EqualIgnoreHash)", () => {
  it("ignores the pod-template-hash label and key order", () => {
    const a = template("web:v2");
    const b = {
      spec: { containers: [{ image: "web:v2", name: "app" }] },
      metadata: { labels: { "pod-template-hash": "x", app: "web" } },
    };
    expect(templatesEqualIgnoringHash(a, b)).toBe(true);
  });

  it("treats empty and absent collections alike, as apimachinery's semantic equality does", () => {
    const a = template("web:v2");
    const b = {
      ...template("web:v2"),
      spec: { containers: [{ name: "app", image: "web:v2", env: [] }], volumes: [] },
    };
    expect(templatesEqualIgnoringHash(a, { ...b, metadata: { ...b.metadata, annotations: {} } })).toBe(true);
  });

  it("sees any real difference", () => {
    expect(templatesEqualIgnoringHash(template("web:v2"), template("web:v3"))).toBe(false);
    expect(templatesEqualIgnoringHash(template("web:v2"), template("web:v2", { tier: "a" }))).toBe(false);
  });
});

describe("podTemplateHash", () => {
  it("is stable for equal templates, whatever the key order or hash label", () => {
    const a = template("web:v2");
    const b = {
      metadata: { labels: { "pod-template-hash": "zzz", app: "web" } },
      spec: { containers: [{ image: "web:v2", name: "app" }] },
    };
    expect(podTemplateHash(a)).toBe(podTemplateHash(b));
  });

  it("changes with the template and with the collision count, and uses Kubernetes' safe alphabet", () => {
    const base = podTemplateHash(template("web:v2"));
    expect(podTemplateHash(template("web:v3"))).not.toBe(base);
    expect(podTemplateHash(template("web:v2"), 1)).not.toBe(base);
    expect(base).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  });

  it("encodes digits like rand.SafeEncodeString", () => {
    // '0' is code 48 → 48 % 27 = 21 → '4'; '9' is 57 → 3 → 'f'
    expect(safeEncode("09")).toBe("4f");
  });
});

describe("replicaSetName (as generateReplicaSetName)", () => {
  it("is <deployment>-<hash>, truncating long names to 253 characters", () => {
    expect(replicaSetName("web", "abc")).toBe("web-abc");
    const long = "a".repeat(260);
    const name = replicaSetName(long, "hash12345");
    expect(name.length).toBe(253);
    expect(name.endsWith("-hash12345")).toBe(true);
  });
});
