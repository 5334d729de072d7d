// Builds the demo page into a folder: the page, its script (esbuild, for browsers) and a tower
// bundle in ./model/. `npm run demo:browser` builds it into examples/browser/dist/ from a tower it
// trains with kdrec run (MovieLens-100K when KDREC_DATA_DIR has it, else the synthetic data), or
// from `--model DIR`.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const demo = resolve(here, "..");
const root = resolve(demo, "../..");

/** Writes the page, `app.js` and `model/` (a copy of the bundle in `model`) into `out`. */
export const buildDemo = async (options: { readonly model: string; readonly out: string }): Promise<void> => {
  mkdirSync(options.out, { recursive: true });
  await build({
    entryPoints: [join(demo, "src/main.ts")],
    outfile: join(options.out, "app.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    conditions: ["@kdrec/source"],
    logLevel: "warning",
  });
  cpSync(join(demo, "src/index.html"), join(options.out, "index.html"));
  rmSync(join(options.out, "model"), { recursive: true, force: true });
  cpSync(options.model, join(options.out, "model"), { recursive: true });
};

/** The tower `npm run demo:browser` serves: trained here unless `--model DIR` names one. */
const trainedTower = (): string => {
  const dataDir = process.env.KDREC_DATA_DIR;
  const real = dataDir !== undefined && existsSync(join(dataDir, "ml-100k", "u.data"));
  const out = join(root, "runs", real ? "browser-demo-ml-100k" : "browser-demo-synthetic");
  const config = join(demo, real ? "tower-ml-100k.json" : "tower-synthetic.json");
  const args = [join(root, "packages/cli/bin/kdrec.js"), "run", config, "--out", out, "--resume"];
  const ran = spawnSync(process.execPath, real ? [...args, "--data-dir", dataDir] : args, { stdio: "inherit" });
  if (ran.status !== 0) throw new Error(`kdrec run ${config} failed`);
  return join(out, "models", "tower11-seed1");
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--model");
  const model = at > 0 ? process.argv[at + 1]! : trainedTower();
  const out = join(demo, "dist");
  await buildDemo({ model, out });
  console.log(
    `built ${out} (model from ${model}); serve it with any static server, e.g. npx vite preview --outDir ${out}`,
  );
}
