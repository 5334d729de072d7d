/**
 * The report's charts as Vega-Lite specifications (plain JSON, built from run records): learning
 * curves, test quality with 95% intervals, and quality against size and against scoring time
 * with the Pareto front marked.
 * @module
 */
import { modelKey, type RunRecord } from "./run_record.js";

/**
 * A Vega-Lite specification (JSON).
 * @category Report
 */
export type VegaLiteSpec = { readonly [key: string]: unknown };

/**
 * A chart of the report: an id for its element, a title, a sentence on how to read it, and its spec.
 * @category Report
 */
export interface ReportChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: VegaLiteSpec;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/**
 * Which points of (cost, quality) no other point beats: none has a cost as low or lower and a
 * quality as high or higher, one of them strictly. Returns a flag per point.
 * @example
 * ```ts
 * paretoFront([{ cost: 1, quality: 0.1 }, { cost: 2, quality: 0.05 }, { cost: 4, quality: 0.2 }]); // [true, false, true]
 * ```
 * @category Report
 */
export const paretoFront = (points: ReadonlyArray<{ readonly cost: number; readonly quality: number }>): boolean[] =>
  points.map(
    (p) =>
      !points.some((q) => q.cost <= p.cost && q.quality >= p.quality && (q.cost < p.cost || q.quality > p.quality)),
  );

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** One row per model of the runs: test NDCG@10 and its interval, size and scoring time. */
const modelRows = (runs: ReadonlyArray<RunRecord>) =>
  runs.flatMap((run) =>
    run.result.summaries.map((summary) => {
      const seeds = run.result.models.filter((m) => m.name === summary.name);
      const ndcg = summary.test["ndcg@10"]!;
      return {
        model: modelKey(runs, run, summary.name),
        role: summary.role,
        ndcg: ndcg.mean,
        params: seeds[0]?.params ?? 0,
        ms: mean(seeds.map((m) => m.score_all_users_ms)),
      };
    }),
  );

const learningCurves = (runs: ReadonlyArray<RunRecord>): ReportChart => ({
  id: "learning-curves",
  title: "Learning curves",
  caption:
    "Validation NDCG@10 after each epoch, per model: the line is the mean over seeds, the band one standard deviation (phases — distil, fine-tune — follow each other on one axis).",
  spec: {
    $schema: SCHEMA,
    data: {
      values: runs.flatMap((run) =>
        run.epochs.map((e) => ({
          model: modelKey(runs, run, e.model),
          seed: e.seed,
          epoch: e.epoch,
          phase: e.phase,
          ndcg: e.validNdcg10,
        })),
      ),
    },
    facet: { field: "model", type: "nominal", title: null },
    columns: 3,
    spec: {
      width: 260,
      height: 150,
      layer: [
        {
          mark: { type: "errorband", extent: "stdev", opacity: 0.25 },
          encoding: {
            x: { field: "epoch", type: "quantitative", title: "epoch" },
            y: { field: "ndcg", type: "quantitative", title: "valid NDCG@10" },
          },
        },
        {
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: { field: "epoch", type: "quantitative" },
            y: { aggregate: "mean", field: "ndcg", type: "quantitative" },
            color: { field: "phase", type: "nominal", title: "phase" },
          },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  },
});

/**
 * The training loss's terms and what α and T were, epoch by epoch: one row per (model, seed,
 * epoch, series), from the epoch lines that carry them (runs from before kdrec logged terms
 * have none, and the chart is left out).
 */
const termRows = (runs: ReadonlyArray<RunRecord>) =>
  runs.flatMap((run) =>
    run.epochs.flatMap((e) => [
      ...Object.entries(e.terms ?? {}).map(([term, value]) => ({
        model: modelKey(runs, run, e.model),
        seed: e.seed,
        epoch: e.epoch,
        series: `loss: ${term}`,
        value,
      })),
      ...Object.entries(e.settings ?? {})
        .filter(([name]) => name !== "weight/bpr") // the task's weight is 1 − α
        .map(([name, value]) => ({
          model: modelKey(runs, run, e.model),
          seed: e.seed,
          epoch: e.epoch,
          series: name.startsWith("weight/") ? `α (${name.slice(7)})` : name.replace("/", " "),
          value,
        })),
    ]),
  );

const lossTerms = (runs: ReadonlyArray<RunRecord>): ReportChart | undefined => {
  const values = termRows(runs);
  if (values.length === 0) return undefined;
  return {
    id: "loss-terms",
    title: "Loss terms and schedules",
    caption:
      "Each loss term's unweighted mean over an epoch (mean over seeds) and the settings that follow a schedule: α (the distillation term's weight) and the soft-label temperature T.",
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { field: "model", type: "nominal", title: null },
      columns: 3,
      spec: {
        width: 260,
        height: 150,
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch" },
          y: { aggregate: "mean", field: "value", type: "quantitative", title: null },
          color: { field: "series", type: "nominal", title: null },
        },
      },
      resolve: { scale: { x: "independent", y: "independent" } },
    },
  };
};

const testQuality = (runs: ReadonlyArray<RunRecord>): ReportChart => ({
  id: "test-quality",
  title: "Test quality",
  caption:
    "Test NDCG@10 and HR@10 (full ranking) per model: the bar is the mean over seeds, the whisker its Student-t 95% interval (none with one seed).",
  spec: {
    $schema: SCHEMA,
    data: {
      values: runs.flatMap((run) =>
        run.result.summaries.flatMap((summary) =>
          ["ndcg@10", "hr@10"].flatMap((metric) => {
            const s = summary.test[metric];
            if (s === undefined) return [];
            return [
              {
                model: modelKey(runs, run, summary.name),
                role: summary.role,
                metric,
                mean: s.mean,
                low: s.ci95?.[0] ?? s.mean,
                high: s.ci95?.[1] ?? s.mean,
                seeds: s.n,
              },
            ];
          }),
        ),
      ),
    },
    facet: { column: { field: "metric", type: "nominal", title: null } },
    spec: {
      width: 300,
      layer: [
        {
          mark: "bar",
          encoding: {
            y: { field: "model", type: "nominal", sort: null, title: null },
            x: { field: "mean", type: "quantitative", title: "test (mean over seeds)" },
            color: { field: "role", type: "nominal" },
            tooltip: [
              { field: "model" },
              { field: "mean", format: ".4f" },
              { field: "low", format: ".4f", title: "95% low" },
              { field: "high", format: ".4f", title: "95% high" },
              { field: "seeds" },
            ],
          },
        },
        {
          mark: { type: "rule", color: "black" },
          encoding: {
            y: { field: "model", type: "nominal", sort: null },
            x: { field: "low", type: "quantitative" },
            x2: { field: "high" },
          },
        },
      ],
    },
    resolve: { scale: { x: "independent" } },
  },
});

/** Quality against a cost (log scale), the Pareto front drawn through the models that no other beats. */
const qualityAgainst = (
  runs: ReadonlyArray<RunRecord>,
  cost: "params" | "ms",
  id: string,
  title: string,
  axis: string,
  caption: string,
): ReportChart => {
  const rows = modelRows(runs).filter((row) => row[cost] > 0);
  const front = paretoFront(rows.map((row) => ({ cost: row[cost], quality: row.ndcg })));
  const values = rows.map((row, k) => ({ ...row, cost: row[cost], front: front[k] ? "Pareto front" : "dominated" }));
  return {
    id,
    title,
    caption,
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 520,
      height: 300,
      layer: [
        {
          transform: [{ filter: "datum.front === 'Pareto front'" }],
          mark: { type: "line", strokeDash: [4, 3], color: "#888" },
          encoding: {
            x: { field: "cost", type: "quantitative", scale: { type: "log" } },
            y: { field: "ndcg", type: "quantitative" },
            order: { field: "cost" },
          },
        },
        {
          mark: { type: "point", size: 90, filled: true },
          encoding: {
            x: { field: "cost", type: "quantitative", scale: { type: "log" }, title: axis },
            y: { field: "ndcg", type: "quantitative", title: "test NDCG@10", scale: { zero: false } },
            color: { field: "model", type: "nominal" },
            shape: { field: "front", type: "nominal", title: null },
            tooltip: [{ field: "model" }, { field: "cost", title: axis }, { field: "ndcg", format: ".4f" }],
          },
        },
        {
          mark: { type: "text", dy: -10, fontSize: 10 },
          encoding: {
            x: { field: "cost", type: "quantitative", scale: { type: "log" } },
            y: { field: "ndcg", type: "quantitative" },
            text: { field: "model" },
          },
        },
      ],
    },
  };
};

/**
 * The report's charts for `runs`, in the order the page shows them.
 * @category Report
 */
export const reportCharts = (runs: ReadonlyArray<RunRecord>): ReportChart[] => {
  const terms = lossTerms(runs);
  return [
    learningCurves(runs),
    ...(terms === undefined ? [] : [terms]),
    testQuality(runs),
    qualityAgainst(
      runs,
      "params",
      "quality-vs-parameters",
      "Quality against size",
      "parameters (log scale)",
      "Test NDCG@10 against each model's parameter count: distillation pays where a small student sits near or on the front (the dashed line through the models that no smaller model beats).",
    ),
    qualityAgainst(
      runs,
      "ms",
      "quality-vs-latency",
      "Quality against scoring time",
      "ms to score every user against every item (log scale)",
      "Test NDCG@10 against the time to score all users (full ranking, this machine, mean over seeds).",
    ),
  ];
};
