/**
 * `@kdrec/report/node`: reads run folders and writes the report (Node-only: it reads files and
 * the chart libraries' browser builds from `node_modules`).
 * @packageDocumentation
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import { writeFileAtomic } from "@kdrec/experiment";
import * as E from "fp-ts/lib/Either.js";
import { type ChartScripts, reportHtml } from "./html.js";
import type { EpochLine, RunRecord } from "./run_record.js";

/**
 * Reads what a report shows of the run in `dir`: `results.json` (required), `metrics.jsonl` and
 * `config.resolved.json` (where present), and the epochs of a model that `metrics.jsonl` lacks (a
 * resumed run) from its checkpoint. Fails naming the file that is missing or unreadable.
 * @example
 * ```ts
 * const run = await readRunFolder("runs/quickstart");
 * ```
 * @category Report
 */
export const readRunFolder = async (dir: string): Promise<E.Either<KdrecError, RunRecord>> => {
  const results = join(dir, "results.json");
  if (!existsSync(results))
    return E.left(kdrecError("IO", "no results.json: not a finished kdrec run (kdrec run writes one at its end)", dir));
  try {
    const result = JSON.parse(await readFile(results, "utf8")) as RunRecord["result"];
    if (!Array.isArray(result.models) || !Array.isArray(result.summaries) || !Array.isArray(result.comparisons))
      return E.left(kdrecError("INVALID_DATA", "not a kdrec results file (models, summaries, comparisons)", results));
    const metrics = join(dir, "metrics.jsonl");
    const epochs: EpochLine[] = [];
    if (existsSync(metrics)) {
      const lines = (await readFile(metrics, "utf8")).split("\n");
      for (const [k, line] of lines.entries()) {
        if (line.trim() === "") continue;
        try {
          epochs.push(JSON.parse(line) as EpochLine);
        } catch {
          return E.left(kdrecError("INVALID_DATA", "not a JSON line", `${metrics}:${k + 1}`));
        }
      }
    }
    // A resumed run's metrics.jsonl may lack the epochs of models trained before the resume:
    // their checkpoints keep the whole history.
    const logged = new Set(epochs.map((e) => `${e.model}#${e.seed}`));
    for (const { name, seed } of result.models) {
      const checkpoint = join(dir, "checkpoints", `${name}-seed${seed}.json`);
      if (logged.has(`${name}#${seed}`) || !existsSync(checkpoint)) continue;
      logged.add(`${name}#${seed}`);
      const { history } = JSON.parse(await readFile(checkpoint, "utf8")) as {
        history?: Omit<EpochLine, "model" | "seed">[];
      };
      for (const record of history ?? []) epochs.push({ model: name, seed, ...record });
    }
    const configFile = join(dir, "config.resolved.json");
    const config = existsSync(configFile) ? JSON.parse(await readFile(configFile, "utf8")) : undefined;
    return E.right({ label: basename(resolve(dir)), result, epochs, ...(config === undefined ? {} : { config }) });
  } catch (error) {
    return E.left(kdrecError("INVALID_DATA", `unreadable: ${(error as Error).message}`, dir));
  }
};

/**
 * The browser builds of vega, vega-lite and vega-embed that the page inlines.
 * @category Report
 */
export const chartScripts = async (): Promise<ChartScripts> => {
  const require = createRequire(import.meta.url);
  // Their exports hide package.json: walk up from the entry point to the package's folder.
  const packageFolder = (name: string): string => {
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, "package.json")) || basename(dir) !== name) dir = dirname(dir);
    return dir;
  };
  const build = (name: string, file: string) => readFile(join(packageFolder(name), "build", file), "utf8");
  const [vega, vegaLite, vegaEmbed] = await Promise.all([
    build("vega", "vega.min.js"),
    build("vega-lite", "vega-lite.min.js"),
    build("vega-embed", "vega-embed.min.js"),
  ]);
  return { vega, vegaLite, vegaEmbed };
};

/**
 * Writes the report of the runs in `dirs` to `out` (atomically) and returns its path.
 * @example
 * ```ts
 * await writeReport(["runs/ml-100k", "runs/amazon-mi"], "report.html");
 * ```
 * @category Report
 */
export const writeReport = async (dirs: ReadonlyArray<string>, out: string): Promise<E.Either<KdrecError, string>> => {
  const runs: RunRecord[] = [];
  for (const dir of dirs) {
    const run = await readRunFolder(dir);
    if (E.isLeft(run)) return run;
    runs.push(run.right);
  }
  const labels = runs.map((run) => run.label);
  const twice = labels.find((label, k) => labels.indexOf(label) !== k);
  // Two folders of one name would merge their models: label them by their paths instead.
  const named = twice === undefined ? runs : runs.map((run, k) => ({ ...run, label: dirs[k]! }));
  await writeFileAtomic(out, reportHtml(named, await chartScripts()));
  return E.right(out);
};
