/**
 * What a report reads of a run: its results, its epochs (the lines of `metrics.jsonl`) and its
 * resolved config, under a label that tells runs apart.
 * @module
 */
import type { ExperimentResult, MetricsLine } from "@kdrec/experiment";

/**
 * One epoch of one model and seed, as `metrics.jsonl` holds it (experiment's `MetricsLine`).
 * @category Report
 */
export type EpochLine = MetricsLine;

/**
 * A run as a report shows it. `result` is `results.json` without the per-user values (which only
 * the paired tests read, and those are in `comparisons`).
 * @category Report
 */
export interface RunRecord {
  /** How the report names the run (its folder's name): model names are prefixed with it when several runs are compared. */
  readonly label: string;
  readonly result: Omit<ExperimentResult, "perUser">;
  readonly epochs: ReadonlyArray<EpochLine>;
  /** `config.resolved.json`, where the run wrote one. */
  readonly config?: { readonly teacher?: { readonly name?: string }; readonly students?: ReadonlyArray<unknown> };
}

/**
 * A model's name in a report over `runs`: `label/model` when several runs are compared.
 * @category Report
 */
export const modelKey = (runs: ReadonlyArray<RunRecord>, run: RunRecord, model: string): string =>
  runs.length > 1 ? `${run.label}/${model}` : model;
