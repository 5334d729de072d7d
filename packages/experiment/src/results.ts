/**
 * An experiment's results: one row per model and seed, per-user test NDCG@10 for paired tests,
 * and the table `kdrec run` prints.
 * @module
 */
import { type PairedTest, pairedTTest } from "@kdrec/metrics";
import type { ExperimentSpec } from "./spec.js";

/**
 * One model's outcome on one seed.
 * @category Experiment
 */
export interface ModelResult {
  readonly name: string;
  readonly role: "teacher" | "student";
  readonly architecture: string;
  readonly dim: number;
  readonly params: number;
  readonly strategy: string;
  readonly losses: ReadonlyArray<string>;
  readonly seed: number;
  readonly train_seconds: number;
  readonly best_epoch: number;
  readonly valid: Readonly<Record<string, number>>;
  readonly test: Readonly<Record<string, number>>;
  readonly score_all_users_ms: number;
  /** Multi-task models: the rating and like heads on the test split. */
  readonly tasks?: Readonly<Record<string, number>>;
}

/**
 * A distilled student against the undistilled student of the same architecture and size.
 * @category Experiment
 */
export interface Comparison {
  readonly student: string;
  readonly baseline: string;
  /** Per-user test NDCG@10, every seed's users pooled. */
  readonly test: PairedTest;
}

/**
 * What {@link runExperiment} returns.
 * @category Experiment
 */
export interface ExperimentResult {
  readonly dataset: {
    readonly name: string;
    readonly users: number;
    readonly items: number;
    readonly interactions: number;
  };
  readonly protocol: unknown;
  /** Every model, every seed (a two-way run adds the teacher after mutual training). */
  readonly models: ReadonlyArray<ModelResult>;
  /** Per model, per seed: each evaluated user's test NDCG@10. */
  readonly perUser: ReadonlyMap<string, ReadonlyArray<Float64Array>>;
  readonly comparisons: ReadonlyArray<Comparison>;
}

/** The metrics kept for every model. */
export const TEST_METRICS = ["hr@10", "ndcg@10", "hr@20", "ndcg@20"];

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: ReadonlyArray<number>) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

const concat = (arrays: ReadonlyArray<Float64Array>): Float64Array => {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
};

/**
 * Paired t-tests on per-user test NDCG@10 (all seeds pooled): each distilled student against the
 * undistilled student of the same architecture and size.
 * @category Experiment
 */
export const compareStudents = (
  spec: ExperimentSpec,
  perUser: ReadonlyMap<string, ReadonlyArray<Float64Array>>,
): Comparison[] =>
  spec.students.flatMap((student) => {
    if ((student.strategy?.kind ?? "none") === "none") return [];
    const baseline = spec.students.find(
      (s) =>
        (s.strategy?.kind ?? "none") === "none" && s.dim === student.dim && s.architecture === student.architecture,
    );
    const a = perUser.get(student.name);
    const b = baseline === undefined ? undefined : perUser.get(baseline.name);
    return baseline === undefined || a === undefined || b === undefined
      ? []
      : [{ student: student.name, baseline: baseline.name, test: pairedTTest(concat(a), concat(b)) }];
  });

/**
 * The results as a text table (mean ± std over seeds) followed by the paired tests.
 * @category Experiment
 */
export const resultTable = (result: Pick<ExperimentResult, "models" | "comparisons">): string => {
  const { models } = result;
  const names = [...new Set(models.map((r) => r.name))];
  const withTasks = models.some((r) => r.tasks !== undefined);
  const taskCell = (runs: ModelResult[], metric: string) => {
    const xs = runs.flatMap((r) => (r.tasks?.[metric] === undefined ? [] : [r.tasks[metric]!]));
    return xs.length === 0 ? "-" : `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
  };
  const rows = names.map((name) => {
    const runs = models.filter((r) => r.name === name);
    const cell = (metric: string) => {
      const xs = runs.map((r) => r.test[metric]!);
      return `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
    };
    return [
      name,
      runs[0]!.role,
      String(runs[0]!.params),
      cell("ndcg@10"),
      cell("hr@10"),
      cell("ndcg@20"),
      mean(runs.map((r) => r.train_seconds)).toFixed(1),
      ...(withTasks ? [taskCell(runs, "rmse"), taskCell(runs, "auc")] : []),
      runs[0]!.strategy,
    ];
  });
  const header = [
    "model",
    "role",
    "params",
    "test ndcg@10",
    "test hr@10",
    "test ndcg@20",
    "train s",
    ...(withTasks ? ["test rmse", "test like-auc"] : []),
    "strategy",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  for (const { student, baseline, test } of result.comparisons)
    lines.push(
      `paired t-test ${student} vs ${baseline}: Δndcg@10 ${test.meanDifference >= 0 ? "+" : ""}${test.meanDifference.toFixed(4)}, t ${test.t.toFixed(2)}, p ${test.pValue.toExponential(2)} (n ${test.n})`,
    );
  return `${lines.join("\n")}\n`;
};
