import { defineConfig, mergeConfig } from "vitest/config";
import { kdrecTestConfig } from "../../vitest.shared.js";

// The set-up scripts are plain JavaScript (they run before anything is built): so are their tests.
export default mergeConfig(kdrecTestConfig(import.meta.url), defineConfig({ test: { include: ["*.test.mjs"] } }));
