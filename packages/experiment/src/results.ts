/**
 * An experiment's results: one row per model and seed, per-user test NDCG@10 for paired tests,
 * summaries over seeds with 95% confidence intervals, and the table `kdrec run` prints.
 *
 * The paired tests treat what is independent as independent: users are paired on their test
 * NDCG@10 *averaged over the seeds* (n = users; three runs of one user are not three users), and,
 * with at least three seeds, seeds are paired on their means (n = seeds: the spread between runs).
 * @module
 */
import { type PairedTest, type PopularityReport, pairedTTest, type RunSummary, summariseRuns } from "@kdrec/metrics";
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
  /** NDCG@10 on the long tail and the popularity of the top 10 (absent for a two-way peer). */
  readonly popularity?: PopularityReport;
  /** Multi-task models: the rating and like heads on the test split. */
  readonly tasks?: Readonly<Record<string, number>>;
}

/**
 * A paired test on test NDCG@10 and how it was made.
 * @category Experiment
 */
export type NamedTest = PairedTest & { readonly method: string };

/**
 * A distilled student against the undistilled student of the same architecture and size.
 * @category Experiment
 */
export interface Comparison {
  readonly student: string;
  readonly baseline: string;
  /** Paired over users, each user's test NDCG@10 averaged over the seeds (n = users). */
  readonly users: NamedTest;
  /** Paired over seeds, on each seed's mean test NDCG@10 (n = seeds); with 3 seeds or more only. */
  readonly seeds?: NamedTest;
}

/**
 * One model over its seeds: each test metric's mean, standard deviation and 95% interval.
 * @category Experiment
 */
export interface ModelSummary {
  readonly name: string;
  readonly role: "teacher" | "student";
  readonly seeds: number;
  readonly test: Readonly<Record<string, RunSummary>>;
  /** The popularity report over the seeds (NDCG@10 on the long tail, the top 10's popularity and tail share). */
  readonly popularity?: Readonly<Record<string, RunSummary>>;
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
  /** Per model: its test metrics over the seeds, with 95% confidence intervals. */
  readonly summaries: ReadonlyArray<ModelSummary>;
  readonly comparisons: ReadonlyArray<Comparison>;
}

/** The metrics kept for every model. */
export const TEST_METRICS = ["hr@10", "ndcg@10", "hr@20", "ndcg@20"];

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Each user's value averaged over the seeds (every seed evaluates the same users in the same order). */
const averageOverSeeds = (runs: ReadonlyArray<Float64Array>): Float64Array =>
  Float64Array.from(runs[0]!, (_, u) => mean(runs.map((run) => run[u]!)));

const seedMeans = (runs: ReadonlyArray<Float64Array>): number[] => runs.map((run) => mean([...run]));

/**
 * Each model's test metrics over its seeds (mean, std, Student-t 95% interval; one seed: n = 1
 * and no interval).
 * @category Experiment
 */
export const summariseModels = (models: ReadonlyArray<ModelResult>): ModelSummary[] =>
  [...new Set(models.map((r) => r.name))].map((name) => {
    const runs = models.filter((r) => r.name === name);
    const metrics = Object.keys(runs[0]!.test);
    const reports = runs.flatMap((r) => (r.popularity === undefined ? [] : [r.popularity]));
    return {
      name,
      role: runs[0]!.role,
      seeds: runs.length,
      test: Object.fromEntries(metrics.map((m) => [m, summariseRuns(runs.map((r) => r.test[m]!))])),
      ...(reports.length === runs.length
        ? {
            popularity: Object.fromEntries(
              (["tail_ndcg@10", "mean_recommended_popularity", "recommended_tail_share"] as const).map((key) => [
                key,
                summariseRuns(reports.map((report) => report[key])),
              ]),
            ),
          }
        : {}),
    };
  });

/**
 * Paired t-tests on test NDCG@10 of each distilled student against the undistilled student of
 * the same architecture and size (or the student its `compareTo` names): over users (their values averaged over the seeds) and, with 3
 * seeds or more, over seed means.
 * @category Experiment
 */
export const compareStudents = (
  spec: ExperimentSpec,
  perUser: ReadonlyMap<string, ReadonlyArray<Float64Array>>,
): Comparison[] =>
  spec.students.flatMap((student) => {
    if ((student.strategy?.kind ?? "none") === "none" && student.compareTo === undefined) return [];
    const baseline =
      student.compareTo === undefined
        ? spec.students.find(
            (s) =>
              (s.strategy?.kind ?? "none") === "none" &&
              s.dim === student.dim &&
              s.architecture === student.architecture,
          )
        : spec.students.find((s) => s.name === student.compareTo);
    const a = perUser.get(student.name);
    const b = baseline === undefined ? undefined : perUser.get(baseline.name);
    if (baseline === undefined || a === undefined || b === undefined || a.length !== b.length) return [];
    const seeds = a.length;
    const users = pairedTTest(averageOverSeeds(a), averageOverSeeds(b));
    return [
      {
        student: student.name,
        baseline: baseline.name,
        users: {
          ...users,
          method: `paired t-test over ${users.n} users, each user's NDCG@10 averaged over ${seeds} seed(s)`,
        },
        ...(seeds >= 3
          ? {
              seeds: {
                ...pairedTTest(seedMeans(a), seedMeans(b)),
                method: `paired t-test over ${seeds} seeds' mean NDCG@10`,
              },
            }
          : {}),
      },
    ];
  });

const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
const describeTest = (test: NamedTest): string =>
  `Δ ${signed(test.meanDifference)}${test.ci95 === null ? "" : ` [${signed(test.ci95[0])}, ${signed(test.ci95[1])}]`}, t ${test.t.toFixed(2)}, p ${test.pValue.toExponential(2)} (${test.method})`;

/** `mean ± std` over seeds, or `mean (n = 1)` when one seed gives no spread. */
const overSeeds = (xs: ReadonlyArray<number>): string => {
  const s = summariseRuns(xs);
  return s.std === null ? `${s.mean.toFixed(4)} (n = 1)` : `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
};

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
    return xs.length === 0 ? "-" : overSeeds(xs);
  };
  const rows = names.map((name) => {
    const runs = models.filter((r) => r.name === name);
    const cell = (metric: string) => overSeeds(runs.map((r) => r.test[metric]!));
    return [
      name,
      runs[0]!.role,
      String(runs[0]!.params),
      cell("ndcg@10"),
      cell("hr@10"),
      cell("ndcg@20"),
      runs.every((r) => r.popularity !== undefined) ? overSeeds(runs.map((r) => r.popularity!["tail_ndcg@10"])) : "-",
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
    "long-tail ndcg@10",
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
  for (const { student, baseline, users, seeds } of result.comparisons) {
    lines.push(`${student} vs ${baseline}, test ndcg@10:`);
    lines.push(`  ${describeTest(users)}`);
    if (seeds !== undefined) lines.push(`  ${describeTest(seeds)}`);
  }
  return `${lines.join("\n")}\n`;
};
