import { initEngine } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { evaluateFullRanking } from "@kdrec/metrics";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import { distilledPreferences, fitAls, implicitPreferences } from "./als.js";
import { MatrixFactorization } from "./matrix_factorization.js";

const split = leaveLastOut(syntheticDataset({ seed: 6, users: 100, items: 120 }).interactions);
const model = (dim: number) => MatrixFactorization.create({ users: 100, items: 120, dim, seed: 1 });

describe("implicit ALS", () => {
  beforeAll(async () => {
    await initEngine({ backend: "tensorflow" })();
  });

  it("solves each user's full weighted least squares (all items, dense confidences) exactly", () => {
    const m = model(3);
    const entries = implicitPreferences(split.train, 5);
    fitAls(m, entries, { sweeps: 1, regularization: 0.5, onSweep: () => false });
    // After a sweep the items were updated last: check the item step against the dense normal
    // equations  Σᵤ cᵤᵢ (xᵤ·yᵢ − pᵤᵢ) xᵤ + λ yᵢ = 0.
    const p = (u: number, i: number) => {
      for (let k = entries.offsets[u]!; k < entries.offsets[u + 1]!; k++)
        if (entries.items[k] === i) return [1, entries.confidences[k]!] as const;
      return [0, 1] as const;
    };
    for (const i of [0, 17, 119]) {
      const gradient = [0, 0, 0];
      for (let u = 0; u < 100; u++) {
        const [pref, conf] = p(u, i);
        let dot = 0;
        for (let d = 0; d < 3; d++) dot += m.userFactors[u * 3 + d]! * m.itemFactors[i * 3 + d]!;
        for (let d = 0; d < 3; d++) gradient[d]! += conf * (dot - pref) * m.userFactors[u * 3 + d]!;
      }
      for (let d = 0; d < 3; d++) expect(gradient[d]! + 0.5 * m.itemFactors[i * 3 + d]!).toBeCloseTo(0, 3);
    }
  });

  it("learns to rank: far above random on validation", async () => {
    const m = model(8);
    fitAls(m, implicitPreferences(split.train, 10), { sweeps: 8, regularization: 0.1 });
    const scorer = m.allItemScorer();
    const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
    scorer.dispose();
    if (E.isLeft(report)) throw new Error(report.left.message);
    expect(report.right.summary["ndcg@10"]!.mean).toBeGreaterThan(0.06); // random ≈ 0.04 at 120 items
  });

  it("distilled entries add the teacher's top items with soft preferences and rank-weighted confidence", () => {
    const targets = { k: 2, items: new Int32Array(200), scores: new Float32Array(200) };
    const base = implicitPreferences(split.train, 10);
    const observed = new Set(Array.from(base.items.subarray(base.offsets[0]!, base.offsets[1]!)));
    const unseen = [...Array(120).keys()].filter((i) => !observed.has(i)).slice(0, 2);
    targets.items.set(unseen, 0);
    targets.scores.set([2, 0], 0);
    const entries = distilledPreferences(split.train, targets, 0.8, 10, 10);
    const entry = (u: number, i: number) => {
      for (let k = entries.offsets[u]!; k < entries.offsets[u + 1]!; k++)
        if (entries.items[k] === i) return { p: entries.preferences[k]!, c: entries.confidences[k]! };
      return undefined;
    };
    expect(entry(0, unseen[0]!)).toEqual({ p: expect.closeTo(0.8 / (1 + Math.exp(-2)), 5), c: 11 });
    expect(entry(0, unseen[1]!)).toEqual({ p: expect.closeTo(0.4, 5), c: expect.closeTo(1 + 10 * Math.exp(-0.1), 4) });
    expect(entries.offsets[1]! - entries.offsets[0]!).toBe(observed.size + 2);
  });
});
