import { seededRandom } from "@kdrec/core";
import type { PairwiseBatch } from "@kdrec/data";
import { describeMixture, mixtureLoss } from "@kdrec/losses";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it } from "vitest";
import { type PlanContext, strategyPhases } from "./phases.js";
import type { BatchPlan } from "./plan.js";
import {
  listwiseRankingDistillation,
  mseDistillation,
  noDistillation,
  oneWay,
  type ResolvedTwoWay,
  rankingDistillationLoss,
  resolveStrategy,
  type Strategy,
  softLabel,
  twoWay,
  withRatio,
} from "./strategy.js";
import { twoWayPlan } from "./two_way.js";

const batch: PairwiseBatch = {
  users: Int32Array.from([0, 1]),
  positives: Int32Array.from([5, 6]),
  negatives: Int32Array.from([7, 8]),
  rows: Int32Array.from([3, 4]),
};
const targets = { k: 3, items: Int32Array.from([10, 11, 12, 20, 21, 22]), scores: new Float32Array(6) };
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};
/** The plan of a strategy's phase (`distill` is the first of a distilling strategy). */
const batchPlan = (strategy: Strategy, phase: "train" | "distill" | "finetune", context: PlanContext) =>
  E.map((phases: ReadonlyArray<{ name: string; plan: BatchPlan }>) => phases.find((p) => p.name === phase)!.plan)(
    strategyPhases(strategy, context),
  );

describeEachBackend("strategy phases and their plans", () => {
  it("trains on BPR alone without distillation and while fine-tuning", () => {
    for (const plan of [
      batchPlan(noDistillation, "train", { numItems: 30 }),
      batchPlan(oneWay(softLabel()), "finetune", { numItems: 30 }),
    ]) {
      const p = right(plan);
      expect(p.width).toBe(2);
      expect(Array.from(p.lists(batch, seededRandom(1)).items)).toEqual([5, 7, 6, 8]);
      expect(describeMixture(p.terms)).toBe("1·bpr");
    }
  });

  it("soft-label lists: negative, positive, then uniform candidates; (1 − α)·BPR + α·CE", () => {
    const plan = right(batchPlan(pipe(oneWay(softLabel(4, 0.5)), withRatio(0.8)), "distill", { numItems: 30 }));
    const lists = plan.lists(batch, seededRandom(1));
    expect(lists.width).toBe(6);
    expect(Array.from(lists.items.subarray(0, 2))).toEqual([7, 5]);
    expect(Array.from(lists.items).every((i) => i >= 0 && i < 30)).toBe(true);
    expect(describeMixture(plan.terms)).toBe("0.2·bpr + 0.8·soft-label-ce(T=0.5)");
    // The student equal to the teacher leaves only the BPR part.
    const scores = tf.tensor2d([
      [0, 2, 1, 0, 0, 0],
      [1, 3, 0, 0, 0, 0],
    ]);
    const withKd = mixtureLoss(plan.terms, { student: scores, teacher: scores }, { epoch: 0, round: 0 });
    expect(withKd.parts.bpr!.dataSync()[0]).toBeCloseTo((Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-2))) / 2, 5);
    tf.dispose([scores, withKd.total, ...Object.values(withKd.parts)]);
  });

  it("two-way: soft binary targets on the samples, or the listwise soft-label loss; each side with its own α", () => {
    const binary = twoWayPlan(
      resolveStrategy(twoWay({ candidates: 2, alpha: 0.4, teacherAlpha: 0.1, sampling: "uniform" })) as ResolvedTwoWay,
      30,
    );
    const items = binary.lists(batch, seededRandom(1)).items;
    expect(Array.from(items.subarray(0, 2))).toEqual([5, 7]);
    expect(Array.from(items.subarray(4, 6))).toEqual([6, 8]);
    expect(describeMixture(binary.terms)).toBe("0.6·bpr + 0.4·soft-bce(T=1)");
    expect(describeMixture(binary.peerTerms)).toBe("0.9·bpr + 0.1·soft-bce(T=1)");
    const listwise = twoWayPlan(
      resolveStrategy(
        twoWay({
          candidates: 2,
          targets: "soft-label",
          temperature: 0.5,
          alpha: 0.8,
          teacherAlpha: 0.05,
          sampling: "uniform",
        }),
      ) as ResolvedTwoWay,
      30,
    );
    // Negative first, so that the positive and the samples are one slice.
    expect(Array.from(listwise.lists(batch, seededRandom(1)).items.subarray(0, 2))).toEqual([7, 5]);
    expect(describeMixture(listwise.terms)).toBe("0.2·bpr + 0.8·soft-label-ce(T=0.5)");
    expect(describeMixture(listwise.peerTerms)).toBe("0.95·bpr + 0.05·soft-label-ce(T=0.5)");
    // Equal scores on both sides leave BPR alone: the listwise part is at its minimum (its gradient is 0).
    const scores = tf.tensor2d([
      [0, 2, 1, 0],
      [1, 3, 0, 0],
    ]);
    const mixed = mixtureLoss(listwise.terms, { student: scores, teacher: scores }, { epoch: 0, round: 0 });
    expect(mixed.parts.bpr!.dataSync()[0]).toBeCloseTo((Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-2))) / 2, 5);
    tf.dispose([scores, mixed.total, ...Object.values(mixed.parts)]);
  });

  it("MSE lists: positive, negative, then uniform items, all compared with the teacher", () => {
    const plan = right(batchPlan(oneWay(mseDistillation(3)), "distill", { numItems: 30 }));
    const lists = plan.lists(batch, seededRandom(2));
    expect(lists.width).toBe(5);
    expect(Array.from(lists.items.subarray(0, 2))).toEqual([5, 7]);
  });

  it("ranking lists append the teacher's top items of each user, and need targets", () => {
    const strategy = oneWay(rankingDistillationLoss(3, 2));
    const plan = right(batchPlan(strategy, "distill", { numItems: 30, targets }));
    expect(Array.from(plan.lists(batch, seededRandom(1)).items)).toEqual([5, 7, 10, 11, 12, 6, 8, 20, 21, 22]);
    const missing = batchPlan(strategy, "distill", { numItems: 30 });
    expect(E.isLeft(missing) && missing.left.location).toBe("strategy.loss.topK");
    expect(E.isLeft(batchPlan(oneWay(rankingDistillationLoss(5)), "distill", { numItems: 30, targets }))).toBe(true);
  });

  it("listwise ranking lists: the teacher's top items in its order, then uniform items below them; PL on the student", () => {
    const plan = right(
      batchPlan(pipe(oneWay(listwiseRankingDistillation(2, 1)), withRatio(0.5)), "distill", { numItems: 30, targets }),
    );
    const items = plan.lists(batch, seededRandom(1)).items;
    expect(Array.from(items.subarray(0, 4))).toEqual([5, 7, 10, 11]);
    expect(Array.from(items.subarray(5, 9))).toEqual([6, 8, 20, 21]);
    expect(describeMixture(plan.terms)).toBe("0.5·bpr + 0.5·plackett-luce");
    // Row [pos 0, neg 0, top 2, 1, below 0]: PL = log(e²+e+1) − 2 + log(e+1) − 1.
    const scores = tf.tensor2d([[0, 0, 2, 1, 0]]);
    const mixed = mixtureLoss(plan.terms, { student: scores }, { epoch: 0, round: 0 });
    const e = Math.E;
    expect(mixed.parts["plackett-luce"]!.dataSync()[0]).toBeCloseTo(
      Math.log(e * e + e + 1) - 2 + Math.log(e + 1) - 1,
      5,
    );
    tf.dispose([scores, mixed.total, ...Object.values(mixed.parts)]);
    const missing = batchPlan(oneWay(listwiseRankingDistillation(4)), "distill", { numItems: 30, targets });
    expect(E.isLeft(missing) && missing.left.message).toMatch(/top 4 per user; got 3/);
  });
});
