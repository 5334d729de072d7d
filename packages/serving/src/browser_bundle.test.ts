// @kdrec/serving in a browser: bundled by esbuild for `--platform=browser` from its own door, with
// nothing from Node or TF.js reachable, within its size budget (min + gzip, weights excluded).
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/** The budget the issue set: a recommender a page can afford to load. */
const BUDGET_BYTES = 40 * 1024;

describe("@kdrec/serving for a browser", () => {
  it("bundles with esbuild --platform=browser, reaches no node: module and no TF.js, and fits 40 KB min+gzip", async () => {
    const result = await build({
      stdin: { contents: 'export * from "@kdrec/serving";', resolveDir: new URL(".", import.meta.url).pathname },
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      metafile: true,
      conditions: ["@kdrec/source"],
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    // What ends up in the bundle (esbuild parses more than it keeps: modules tree-shaken away).
    const kept = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path);
    expect(kept.some((path) => path.endsWith("recommender.ts"))).toBe(true);
    expect(kept.filter((path) => path.startsWith("node:") || path.includes("tfjs"))).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/from"node:|require\("node:/);
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(
      `@kdrec/serving browser bundle: ${(code.length / 1024).toFixed(1)} KB min, ${(gzipped / 1024).toFixed(1)} KB min+gzip (budget ${BUDGET_BYTES / 1024} KB)`,
    );
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
