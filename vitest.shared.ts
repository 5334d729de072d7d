// The vitest settings every kdrec package shares; each package's vitest.config.ts calls this.
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** @param configUrl the package's `import.meta.url`, to name its JSON report. */
export const kdrecTestConfig = (configUrl: string) => {
  const reportDir = process.env.KDREC_TEST_REPORT_DIR;
  const name = basename(dirname(fileURLToPath(configUrl)));
  return defineConfig({
    // Workspace imports resolve to TypeScript sources: tests never run against a stale dist/.
    resolve: { conditions: ["@kdrec/source"] },
    ssr: { resolve: { conditions: ["@kdrec/source"] } },
    test: {
      include: ["src/**/*.test.ts"],
      testTimeout: 60_000,
      // Native TensorFlow uses both cores of its own; parallel test files would only contend.
      pool: "forks",
      fileParallelism: false,
      reporters: reportDir === undefined ? ["default"] : ["default", "json"],
      ...(reportDir === undefined ? {} : { outputFile: { json: join(reportDir, `${name}.json`) } }),
    },
  });
};
