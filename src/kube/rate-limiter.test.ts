import { describe, expect, it } from "vitest";
import {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from "./rate-limiter.ts";

describe("TokenBucketRateLimiter", () => {
  it("lets a burst through, then spaces reservations at 1/qps, and refills over time", () => {
    let t = 0;
    const bucket = new TokenBucketRateLimiter<string>(10, 3, () => t);
    expect([bucket.when("a"), bucket.when("b"), bucket.when("c")]).toEqual([0, 0, 0]);
    expect([bucket.when("d"), bucket.when("e")]).toEqual([100, 200]);
    t = 1000; // -2 + 10 refilled = 8, capped at the burst of 3
    expect([bucket.when("f"), bucket.when("g"), bucket.when("h"), bucket.when("i")]).toEqual([0, 0, 0, 100]);
    t = 1050; // half a token back: the next reservation waits the other half plus one whole
    expect(bucket.when("j")).toBe(150);
  });
});

describe("defaultControllerRateLimiter", () => {
  it("is the larger of per-key backoff and the shared bucket", () => {
    let t = 0;
    const limiter = defaultControllerRateLimiter<string>(() => t);
    expect(limiter.when("a")).toBe(5);
    expect(limiter.when("a")).toBe(10);
    for (let i = 0; i < 98; i += 1) limiter.when(`k${i}`);
    // The bucket (burst 100) is empty now: a fresh key waits for the bucket, not 5 ms.
    expect(limiter.when("fresh")).toBe(100);
    expect(limiter.retries("a")).toBe(2);
    limiter.forget("a");
    expect(limiter.retries("a")).toBe(0);
    t += 60_000;
    expect(limiter.when("a")).toBe(5);
  });

  it("MaxOf with no limiters never delays", () => {
    expect(new MaxOfRateLimiter<string>().when("x")).toBe(0);
    expect(new MaxOfRateLimiter<string>(new ItemExponentialRateLimiter(7)).when("x")).toBe(7);
  });
});
