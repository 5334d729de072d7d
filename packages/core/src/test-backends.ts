// Test-only: the backends a test run covers, as tfjs-core's ALL_ENVS. Not exported from index.ts.
import type { BackendName } from "./engine.js";

/** `KDREC_TEST_BACKENDS` (comma-separated), default both: the browser path keeps native's expectations. */
export const testBackends = (): BackendName[] =>
  (process.env.KDREC_TEST_BACKENDS ?? "tensorflow,cpu").split(",").map((b) => b.trim() as BackendName);
