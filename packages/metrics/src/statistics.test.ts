import { describe, expect, it } from "vitest";
import { auc, logLoss, mae, rmse } from "./pointwise.js";
import { metricNames, metricsFromRanks, writeMetrics } from "./ranking_metrics.js";
import { pairedTTest, studentTwoSidedP, summarise } from "./statistics.js";

describe("metricsFromRanks", () => {
  it("scores one held-out item: HR, NDCG = 1/log2(rank + 2), MRR", () => {
    expect(metricsFromRanks([0], [10])).toMatchObject({
      "hr@10": 1,
      "ndcg@10": 1,
      "recall@10": 1,
      "precision@10": 0.1,
      mrr: 1,
    });
    expect(metricsFromRanks([3], [10])["ndcg@10"]).toBeCloseTo(1 / Math.log2(5), 12);
    expect(metricsFromRanks([10], [10])).toMatchObject({ "hr@10": 0, "ndcg@10": 0, mrr: 1 / 11 });
  });

  it("scores many held-out items: ideal DCG over min(|test|, K)", () => {
    const m = metricsFromRanks([0, 4, 30], [5]);
    const ideal = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(m["ndcg@5"]).toBeCloseTo((1 + 1 / Math.log2(6)) / ideal, 12);
    expect(m).toMatchObject({ "hr@5": 1, "recall@5": 2 / 3, "precision@5": 2 / 5, mrr: 1 });
  });

  it("writeMetrics puts a slice's values into columns at a row, in metricNames' order", () => {
    const ks = [5, 10];
    const columns = metricNames(ks).map(() => new Float64Array(3));
    // The user's ranks are [0, 4, 30], between other users' ranks; written at row 1 only.
    writeMetrics([9, 0, 4, 30, 7], 1, 4, ks, columns, 1);
    const ideal = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(columns.map((column) => column[1])).toEqual([
      1,
      (1 + 1 / Math.log2(6)) / ideal,
      2 / 3,
      2 / 5,
      1,
      (1 + 1 / Math.log2(6)) / ideal,
      2 / 3,
      2 / 10,
      1,
    ]);
    expect(columns.every((column) => column[0] === 0 && column[2] === 0)).toBe(true);
    expect(Object.values(metricsFromRanks([0, 4, 30], ks))).toEqual(columns.map((column) => column[1]));
  });
});

describe("statistics", () => {
  it("summarises with a 95% confidence interval", () => {
    const s = summarise([1, 2, 3, 4, 5]);
    expect(s.mean).toBe(3);
    expect(s.ci95[1] - s.mean).toBeCloseTo((1.96 * Math.sqrt(2.5)) / Math.sqrt(5), 12);
    expect(summarise([]).n).toBe(0);
  });

  it("computes the paired t-test as SciPy does", () => {
    const test = pairedTTest([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
    expect(test.t).toBeCloseTo(4.242640687119285, 10);
    expect(test.pValue).toBeCloseTo(0.01323559956368269, 10); // scipy.stats.ttest_rel
    expect(studentTwoSidedP(2, 10)).toBeCloseTo(0.07338803477074037, 10);
    expect(studentTwoSidedP(1, 3)).toBeCloseTo(0.3910022189557705, 10);
    expect(studentTwoSidedP(3.5, 100)).toBeCloseTo(0.0006964277173562688, 12);
    expect(pairedTTest([1, 1], [1, 1]).pValue).toBe(1);
    expect(() => pairedTTest([1], [1, 2])).toThrow(/pair the same users/);
  });
});

describe("pointwise metrics", () => {
  it("RMSE and MAE", () => {
    expect(rmse([1, 2, 3], [1, 2, 5])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(mae([1, 2, 3], [2, 2, 5])).toBe(1);
    expect(() => rmse([], [])).toThrow(RangeError);
  });

  it("AUC counts ties as one half and is NaN without both classes", () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([0.5, 0.5, 0.5], [1, 0, 0])).toBe(0.5);
    expect(auc([0.2, 0.9], [1, 1])).toBeNaN();
  });

  it("log-loss clips probabilities", () => {
    expect(logLoss([0.5, 0.5], [1, 0])).toBeCloseTo(Math.log(2), 12);
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
  });
});
