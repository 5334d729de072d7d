import { KdrecTopKExcluding, readTidy } from "@kdrec/core";
import { itemsOf, leaveLastOut, syntheticDataset, userItemSets } from "@kdrec/data";
import { MatrixFactorization } from "@kdrec/students";
import { describeEachBackend, withoutEngineKernel } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { ensembleTeacher } from "./ensemble.js";
import { externalTeacher } from "./external.js";
import { frozenMatrixFactorization } from "./frozen_mf.js";
import { teacherTopK } from "./targets.js";

const split = leaveLastOut(syntheticDataset({ seed: 5, users: 40, items: 60 }).interactions);
const model = MatrixFactorization.create({ users: 40, items: 60, dim: 4, seed: 2, itemBias: true });
model.itemBiases!.set(Float32Array.from({ length: 60 }, (_, i) => i / 100));
const dot = (u: number, i: number) => {
  let s = model.itemBiases![i]!;
  for (let d = 0; d < 4; d++) s += model.userFactors[u * 4 + d]! * model.itemFactors[i * 4 + d]!;
  return s;
};

describeEachBackend("teachers", () => {
  it("a frozen MF scores item lists and all items as the model does, and ignores later training", () => {
    const teacher = frozenMatrixFactorization(model);
    const before = tf.memory().numTensors;
    const lists = readTidy(() => teacher.scoreLists(Int32Array.from([3, 7]), Int32Array.from([0, 5, 59, 1, 2, 3]), 3));
    expect(Array.from(lists)).toEqual(
      [dot(3, 0), dot(3, 5), dot(3, 59), dot(7, 1), dot(7, 2), dot(7, 3)].map((x) => expect.closeTo(x, 5)),
    );
    const all = readTidy(() => teacher.scoreAll(Int32Array.from([9])));
    expect(all[17]).toBeCloseTo(dot(9, 17), 5);
    const copy = Float32Array.from(model.userFactors);
    model.userFactors.fill(0);
    expect(readTidy(() => teacher.scoreAll(Int32Array.from([9])))[17]).toBeCloseTo(all[17]!, 6);
    model.userFactors.set(copy);
    expect(tf.memory().numTensors).toBe(before);
    expect(teacher.parameterCount).toBe(model.parameterCount);
    teacher.dispose();
  });

  it("an ensemble's list scores are its scoreAll at those items, whatever the lists hold", () => {
    const wide = frozenMatrixFactorization(MatrixFactorization.create({ users: 40, items: 60, dim: 8, seed: 5 }));
    const scaled = MatrixFactorization.create({ users: 40, items: 60, dim: 4, seed: 6 });
    scaled.userFactors.forEach((x, i) => {
      scaled.userFactors[i] = 30 * x; // a teacher on another scale
    });
    const narrow = frozenMatrixFactorization(scaled);
    const both = ensembleTeacher([wide, narrow], [0.7, 0.3]);
    const before = tf.memory().numTensors;
    const users = Int32Array.from([3, 3, 11]);
    const items = Int32Array.from([0, 5, 59, 7, 8, 9, 59, 0, 1]);
    const lists = readTidy(() => both.scoreLists(users, items, 3));
    const all = readTidy(() => both.scoreAll(Int32Array.from([3, 11])));
    const expected = Array.from(items, (item, k) => all[(users[Math.floor(k / 3)] === 3 ? 0 : 1) * 60 + item]!);
    expect(Array.from(lists)).toEqual(expected.map((x) => expect.closeTo(x, 4)));
    // Each member standardised over the catalogue: the ensemble's row has mean 0.
    expect(Array.from(all.subarray(0, 60)).reduce((a, b) => a + b, 0) / 60).toBeCloseTo(0, 4);
    expect(tf.memory().numTensors).toBe(before);
    both.dispose();
    wide.dispose();
    narrow.dispose();
  });

  it("an external teacher reads item lists from its full scores", () => {
    const teacher = externalTeacher("by-index", 60, (users) =>
      tf.tidy(
        () =>
          tf.add(
            tf.tile(tf.expandDims(tf.range(0, 60), 0), [users.length, 1]),
            tf.expandDims(tf.tensor1d(users), 1),
          ) as tf.Tensor2D,
      ),
    );
    expect(
      Array.from(readTidy(() => teacher.scoreLists(Int32Array.from([1, 2]), Int32Array.from([5, 6, 7, 8]), 2))),
    ).toEqual([6, 7, 9, 10]);
  });

  it("top-K targets are the best unobserved items, best first", async () => {
    const teacher = frozenMatrixFactorization(model);
    const targets = await teacherTopK(teacher, split.train, 5, 16);
    const seen = userItemSets(split.train);
    for (const u of [0, 13, 39]) {
      const observed = new Set(itemsOf(seen, u));
      const expected = Array.from({ length: 60 }, (_, i) => i)
        .filter((i) => !observed.has(i))
        .sort((a, b) => dot(u, b) - dot(u, a))
        .slice(0, 5);
      expect(Array.from(targets.items.subarray(u * 5, u * 5 + 5))).toEqual(expected);
      expect(targets.scores[u * 5]).toBeCloseTo(dot(u, expected[0]!), 5);
    }
    await expect(teacherTopK(teacher, split.train, 60)).rejects.toThrow(/k must be an integer in \[1, 59\]/);
    // The same lists with the engine's top-K kernel and with the mask and tf.topk (on tensorflow).
    const masked = await withoutEngineKernel(KdrecTopKExcluding, () => teacherTopK(teacher, split.train, 5, 16));
    expect(Array.from(masked.items)).toEqual(Array.from(targets.items));
    expect(Array.from(masked.scores)).toEqual(Array.from(targets.scores, (x) => expect.closeTo(x, 5)));
    teacher.dispose();
  });

  it("top-K targets of a user with fewer unseen items than k end with seen items at -∞, as the mask gives", async () => {
    // User 0 has seen 57 of the 60 items: three unseen, then two seen ones.
    const seenByZero = Int32Array.from({ length: 57 }, (_, i) => i + 3);
    const train = {
      users: Int32Array.from([...seenByZero].map(() => 0).concat([1])),
      items: Int32Array.from([...seenByZero, 0]),
      timestamps: Float64Array.from({ length: 58 }, (_, t) => t),
      userIds: Array.from({ length: 40 }, (_, u) => String(u)),
      itemIds: Array.from({ length: 60 }, (_, i) => String(i)),
    };
    const teacher = frozenMatrixFactorization(model);
    const [withKernel, withMask] = [
      await teacherTopK(teacher, train, 5),
      await withoutEngineKernel(KdrecTopKExcluding, () => teacherTopK(teacher, train, 5)),
    ];
    expect(Array.from(withKernel.items)).toEqual(Array.from(withMask.items));
    expect(new Set(withKernel.items.subarray(0, 3))).toEqual(new Set([0, 1, 2]));
    expect(Array.from(withKernel.scores.subarray(3, 5))).toEqual([-Infinity, -Infinity]);
    teacher.dispose();
  });
});
