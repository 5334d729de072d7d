import { describe, expect, it } from "vitest";
import { f32In, i32In, kernelModes, uniformValues } from "./kernel_testing.js";
import { listScores } from "./list_scores.js";

describe.each(kernelModes)("listScores [%s]", (_, arena) => {
  it("scores a hand-worked case: dot products plus the item bias", () => {
    const a = arena();
    // users (dim 2): u0 = (1, 2), u1 = (-1, 0.5); items: i0 = (3, 1), i1 = (0, -2), i2 = (1, 1).
    const out = f32In(a, [0, 0, 0, 0]);
    listScores(a, {
      userFactors: f32In(a, [1, 2, -1, 0.5]),
      itemFactors: f32In(a, [3, 1, 0, -2, 1, 1]),
      itemBiases: f32In(a, [0.5, 0, -1]),
      users: i32In(a, [1, 0]),
      items: i32In(a, [0, 2, 1, 0]),
      width: 2,
      dim: 2,
      out,
    });
    // u1·i0 + 0.5 = -3 + 0.5 + 0.5; u1·i2 - 1 = -1 + 0.5 - 1; u0·i1 = -4; u0·i0 + 0.5 = 5 + 0.5.
    expect(Array.from(out)).toEqual([-2, -1.5, -4, 5.5]);
  });

  it.each([1, 4, 7, 16])("agrees with a plain dot product at dim %i (vector lanes and tail)", (dim) => {
    const a = arena();
    const [users, items, rows, width] = [5, 9, 6, 3];
    const P = uniformValues(users * dim, 1);
    const Q = uniformValues(items * dim, 2);
    const batchUsers = Array.from({ length: rows }, (_, b) => (b * 2) % users);
    const batchItems = Array.from({ length: rows * width }, (_, k) => (k * 5) % items);
    const out = f32In(a, new Float32Array(rows * width));
    listScores(a, {
      userFactors: f32In(a, P),
      itemFactors: f32In(a, Q),
      itemBiases: undefined,
      users: i32In(a, batchUsers),
      items: i32In(a, batchItems),
      width,
      dim,
      out,
    });
    const expected = batchItems.map((item, k) => {
      const user = batchUsers[Math.floor(k / width)]!;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += P[user * dim + d]! * Q[item * dim + d]!;
      return expect.closeTo(dot, 5);
    });
    expect(Array.from(out)).toEqual(expected);
  });
});
