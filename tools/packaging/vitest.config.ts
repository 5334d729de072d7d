import { defineConfig, mergeConfig } from "vitest/config";
import { kdrecTestConfig } from "../../vitest.shared.js";

// Packaging checks run the packages as shipped (tarballs), not their sources: plain JavaScript.
export default mergeConfig(kdrecTestConfig(import.meta.url), defineConfig({ test: { include: ["*.test.mjs"] } }));
