import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { frozenModel } from "./frozen_model.js";
import type { ScoringModel } from "./scorer.js";

/** A model whose score of (u, i) is u + i/1000, and which counts whole-catalogue scorings. */
const countingModel = () => {
  const calls = { all: 0 };
  const model: ScoringModel = {
    parameterCount: 0,
    allItemScorer: () => ({
      score: (users: Int32Array) => {
        calls.all += 1;
        return tf.tidy(() =>
          tf.add(tf.reshape(tf.tensor1d(users, "float32"), [-1, 1]), tf.div(tf.range(0, 5001, 1, "float32"), 1000)),
        ) as tf.Tensor2D;
      },
      dispose: () => undefined,
    }),
  };
  return { model, calls };
};

describeEachBackend("frozenModel", () => {
  it("scores lists with the model's list scorer when the score table is too big to hold", () => {
    const { model, calls } = countingModel();
    let made = 0;
    // 10,001 users × 5,001 items: past the 50M scores a frozen teacher precomputes.
    const teacher = frozenModel(model, {
      name: "big",
      architecture: "test",
      users: 10_001,
      items: 5_001,
      listScorer: () => {
        made += 1;
        return (users, items, width) =>
          tf.tensor2d(
            Float32Array.from(items, (i, k) => users[Math.floor(k / width)]! + i / 1000),
            [users.length, width],
          );
      },
    });
    expect(made).toBe(1); // made at freeze time, from the model as it was then
    const lists = teacher.scoreLists(Int32Array.of(3, 7), Int32Array.of(0, 10, 4, 5000), 2);
    expect(Array.from(lists.dataSync())).toEqual([3, 3.01, 7.004, 12].map((x) => expect.closeTo(x, 4)));
    lists.dispose();
    expect(calls.all).toBe(0); // no user was scored against the whole catalogue
    teacher.dispose();
  });

  it("exposes a copy of an MF's tables for whole-epoch kernels only when it holds no score table", () => {
    const factorTables = {
      dim: 2,
      userFactors: new Float32Array(10_001 * 2).fill(1),
      itemFactors: new Float32Array(5_001 * 2).fill(2),
    };
    const big = frozenModel(countingModel().model, {
      name: "big",
      architecture: "mf",
      users: 10_001,
      items: 5_001,
      factorTables,
    });
    expect(big.scoreTable).toBeUndefined();
    expect(big.factorTables?.dim).toBe(2);
    factorTables.userFactors.fill(9); // the model trains on: the teacher does not change
    expect(big.factorTables?.userFactors[0]).toBe(1);
    big.dispose();
    const small = frozenModel(countingModel().model, {
      name: "small",
      architecture: "mf",
      users: 4,
      items: 5_001,
      factorTables,
    });
    expect(small.factorTables).toBeUndefined();
    expect(small.scoreTable?.length).toBe(4 * 5_001);
    expect(small.scoreTable?.[2 * 5_001 + 7]).toBeCloseTo(2.007, 4);
    small.dispose();
  });

  it("precomputes the score table when it fits, and then never needs a list scorer", () => {
    const { model } = countingModel();
    let made = 0;
    const teacher = frozenModel(model, {
      name: "small",
      architecture: "test",
      users: 4,
      items: 5_001,
      listScorer: () => {
        made += 1;
        return () => tf.tensor2d([[0]]);
      },
    });
    expect(made).toBe(0);
    const lists = teacher.scoreLists(Int32Array.of(2), Int32Array.of(7), 1);
    expect(lists.dataSync()[0]).toBeCloseTo(2.007, 4);
    lists.dispose();
    teacher.dispose();
  });
});
