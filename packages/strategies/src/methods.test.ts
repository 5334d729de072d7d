// The defining property of each method added to the loss table beyond kdrec's first four.
import { seededRandom } from "@kdrec/core";
import type { PairwiseBatch } from "@kdrec/data";
import { mixtureGradient, mixtureLoss } from "@kdrec/losses";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { type LossPlan, lossEntry } from "./loss_table.js";
import { popularityGroups } from "./unkd_loss.js";

const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

const ITEMS = 40;
// Item i has 40 − i training interactions: item 0 is the most popular.
const itemCounts = Int32Array.from({ length: ITEMS }, (_, i) => ITEMS - i);
const batch: PairwiseBatch = {
  users: Int32Array.from([0, 1, 2]),
  positives: Int32Array.from([5, 6, 7]),
  negatives: Int32Array.from([30, 31, 32]),
  rows: Int32Array.from([0, 1, 2]),
};

const planOf = (loss: { kind: string } & Record<string, unknown>): LossPlan => {
  const { entry, resolved } = lossEntry(loss);
  return right(entry.plan(resolved, { numItems: ITEMS, alpha: 1, rounds: 1, itemCounts }));
};

/** The plan's loss gradient in closed form for given student and teacher scores of its lists. */
const gradientOf = (plan: LossPlan, student: Float32Array, teacher: Float32Array, rows: number) => {
  const gradient = new Float32Array(student.length);
  const { total } = mixtureGradient(
    plan.terms,
    { rows, width: plan.width, student, teacher },
    { epoch: 0, round: 0 },
    gradient,
  );
  return { total, gradient };
};

describeEachBackend("distillation methods", () => {
  it("popularity groups: disjoint, covering, from most to least popular, each about an equal share of interactions", () => {
    const groups = popularityGroups(itemCounts, 4);
    expect(groups.flatMap((g) => Array.from(g)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: ITEMS }, (_, i) => i),
    );
    const shares = groups.map((g) => Array.from(g).reduce((a, i) => a + itemCounts[i]!, 0));
    const total = shares.reduce((a, b) => a + b, 0);
    for (const share of shares) expect(Math.abs(share / total - 0.25)).toBeLessThan(0.06);
    for (let g = 1; g < groups.length; g++) expect(Math.min(...groups[g - 1]!)).toBeLessThan(Math.min(...groups[g]!));
    expect(groups[0]!.length).toBeLessThan(groups[3]!.length); // the head holds few items, the tail many
  });

  it("UnKD: each row's blocks draw from one popularity group each, and the teacher's ranking between groups is not learned", () => {
    const plan = planOf({ kind: "unkd", groups: 4, perGroup: 5 });
    const groups = popularityGroups(itemCounts, 4);
    const lists = plan.lists(batch, seededRandom(1));
    expect(lists.width).toBe(2 + 4 * 5);
    for (let b = 0; b < 3; b++)
      for (let g = 0; g < 4; g++)
        for (let j = 0; j < 5; j++)
          expect(Array.from(groups[g]!)).toContain(lists.items[b * lists.width + 2 + g * 5 + j]);

    const rng = seededRandom(2);
    const n = 3 * lists.width;
    const student = Float32Array.from({ length: n }, () => rng.normal());
    const teacher = Float32Array.from({ length: n }, () => rng.normal());
    // A teacher that also prefers the popular groups (a constant per group): the same targets.
    const biased = teacher.map((s, k) => {
      const column = k % lists.width;
      return column < 2 ? s : s + 10 * (4 - Math.floor((column - 2) / 5));
    });
    const plain = gradientOf(plan, student, teacher, 3);
    const withBias = gradientOf(plan, student, biased, 3);
    for (let k = 0; k < n; k++) expect(withBias.gradient[k]).toBeCloseTo(plain.gradient[k]!, 6);
    // Plain soft labels over the same items would follow the bias.
    const soft = planOf({ kind: "soft-label", candidates: lists.width - 2 });
    const a = gradientOf(soft, student, teacher, 3).gradient;
    const b = gradientOf(soft, student, biased, 3).gradient;
    expect(Math.max(...a.map((g, k) => Math.abs(g - b[k]!)))).toBeGreaterThan(1e-3);
  });

  it("UnKD: the TF.js term equals its closed form", () => {
    const plan = planOf({ kind: "unkd", groups: 2, perGroup: 3, temperature: 0.5 });
    const rng = seededRandom(3);
    const n = 3 * plan.width;
    const student = Float32Array.from({ length: n }, () => rng.normal());
    const teacher = Float32Array.from({ length: n }, () => rng.normal());
    const closed = gradientOf(plan, student, teacher, 3);
    const { value, grad } = tf.tidy(() => {
      const t = tf.tensor2d(teacher, [3, plan.width]);
      const { value, grad } = tf.valueAndGrad(
        (s: tf.Tensor) =>
          mixtureLoss(plan.terms, { student: s as tf.Tensor2D, teacher: t }, { epoch: 0, round: 0 }).total,
      )(tf.tensor2d(student, [3, plan.width]));
      return { value: value.dataSync()[0]!, grad: Array.from(grad.dataSync()) };
    });
    expect(closed.total).toBeCloseTo(value, 5);
    grad.forEach((g, k) => {
      expect(closed.gradient[k]).toBeCloseTo(g, 6);
    });
  });

  it("UnKD without item popularity is refused by name", () => {
    const { entry, resolved } = lossEntry({ kind: "unkd" });
    const planned = entry.plan(resolved, { numItems: ITEMS, alpha: 1, rounds: 1 });
    expect(E.isLeft(planned) && planned.left.message).toMatch(/popularity/);
  });

  it("rank-discrepancy soft labels: a candidate the student already ranks above the teacher gets no gradient from the distillation term", () => {
    const plan = planOf({ kind: "soft-label", candidates: 4, weighting: "rank-discrepancy", epsilon: 1 });
    // One row [negative, positive, c1, c2, c3, c4]; the distribution covers columns 1 … 5.
    const teacher = Float32Array.of(0, 5, 4, 3, 2, 1);
    const student = Float32Array.of(0, 3, 5, 4, 1, 2); // ranks: col2 0, col3 1, col1 2, col5 3, col4 4
    const distillOnly = { ...plan, terms: plan.terms.filter((term) => term.name.startsWith("soft-label")) };
    const { gradient } = gradientOf(distillOnly, student, teacher, 1);
    // Teacher ranks: col1 0, col2 1, col3 2, col4 3, col5 4. Student ranks col2 and col3 above the
    // teacher, col5 above too: their targets weigh nothing, so their gradient is the student's
    // own probability mass times the weighted targets' total — pushing them down only.
    expect(gradient[2]!).toBeGreaterThan(0);
    expect(gradient[3]!).toBeGreaterThan(0);
    // col1 (the positive) and col4 fell below where the teacher has them: pulled up.
    expect(gradient[1]!).toBeLessThan(0);
    expect(gradient[4]!).toBeLessThan(0);
    // With uniform weights the same candidates are treated by the teacher's soft labels alone.
    const uniform = planOf({ kind: "soft-label", candidates: 4 });
    const plain = gradientOf(
      { ...uniform, terms: uniform.terms.filter((term) => term.name.startsWith("soft-label")) },
      student,
      teacher,
      1,
    ).gradient;
    expect(plain[2]!).not.toBeCloseTo(gradient[2]!, 4);
  });
});
