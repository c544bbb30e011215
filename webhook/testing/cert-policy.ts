// Test support: short certificate lifetimes on a minute scale, so rotation tables read in minutes.

import { servingHosts } from "../certs/generate.ts";
import type { CertificatePolicy } from "../certs/rotation.ts";

export const MINUTE = 60_000;

/** Serving certificate 30 min, CA 90 min, CA overlap 2 min, local-mode hosts. */
export const TEST_POLICY: CertificatePolicy = {
  caLifetimeMs: 90 * MINUTE,
  servingLifetimeMs: 30 * MINUTE,
  caOverlapMs: 2 * MINUTE,
  hosts: servingHosts("slipway-webhook", "slipway-system", true),
};
