import { describe, expect, it } from "vitest";
import { f32In, i32In, kernelModes, uniformValues } from "./kernel_testing.js";
import { rowGradients } from "./row_gradients.js";

describe.each(kernelModes)("rowGradients [%s]", (_, arena) => {
  it("carries score gradients to the distinct rows in a hand-worked case", () => {
    const a = arena();
    // dim 2; u0 = (1, 2), u1 = (-1, 0.5); i0 = (3, 1), i1 = (0, -2). Rows: u0 with [i0, i1],
    // u1 with [i0, i0]; score gradients [1, -1, 0.5, 2].
    const userGradients = f32In(a, [0, 0, 0, 0]);
    const itemGradients = f32In(a, [0, 0, 0, 0]);
    const biasGradients = f32In(a, [0, 0]);
    rowGradients(a, {
      userFactors: f32In(a, [1, 2, -1, 0.5]),
      itemFactors: f32In(a, [3, 1, 0, -2]),
      users: i32In(a, [0, 1]),
      items: i32In(a, [0, 1, 0, 0]),
      userSlots: i32In(a, [0, 1]),
      itemSlots: i32In(a, [0, 1, 0, 0]),
      scoreGradients: f32In(a, [1, -1, 0.5, 2]),
      width: 2,
      dim: 2,
      userGradients,
      itemGradients,
      biasGradients,
    });
    // u0: 1·i0 - 1·i1 = (3, 3); u1: 2.5·i0 = (7.5, 2.5).
    expect(Array.from(userGradients)).toEqual([3, 3, 7.5, 2.5]);
    // i0: 1·u0 + 2.5·u1 = (-1.5, 3.25); i1: -1·u0 = (-1, -2).
    expect(Array.from(itemGradients)).toEqual([-1.5, 3.25, -1, -2]);
    expect(Array.from(biasGradients)).toEqual([3.5, -1]);
  });

  it.each([1, 4, 7, 16])("agrees with the chain rule written out at dim %i", (dim) => {
    const a = arena();
    const [users, items, rows, width] = [4, 6, 5, 3];
    const P = uniformValues(users * dim, 3);
    const Q = uniformValues(items * dim, 4);
    const g = uniformValues(rows * width, 5);
    // Every user and item id is its own slot (the slot tables span all rows).
    const batchUsers = Array.from({ length: rows }, (_, b) => (b * 3) % users);
    const batchItems = Array.from({ length: rows * width }, (_, k) => (k * 7) % items);
    const userGradients = f32In(a, new Float32Array(users * dim));
    const itemGradients = f32In(a, new Float32Array(items * dim));
    rowGradients(a, {
      userFactors: f32In(a, P),
      itemFactors: f32In(a, Q),
      users: i32In(a, batchUsers),
      items: i32In(a, batchItems),
      userSlots: i32In(a, batchUsers),
      itemSlots: i32In(a, batchItems),
      scoreGradients: f32In(a, g),
      width,
      dim,
      userGradients,
      itemGradients,
      biasGradients: undefined,
    });
    const expectedUsers = new Float64Array(users * dim);
    const expectedItems = new Float64Array(items * dim);
    batchItems.forEach((item, k) => {
      const user = batchUsers[Math.floor(k / width)]!;
      for (let d = 0; d < dim; d++) {
        expectedUsers[user * dim + d]! += g[k]! * Q[item * dim + d]!;
        expectedItems[item * dim + d]! += g[k]! * P[user * dim + d]!;
      }
    });
    expect(Array.from(userGradients)).toEqual(Array.from(expectedUsers, (x) => expect.closeTo(x, 5)));
    expect(Array.from(itemGradients)).toEqual(Array.from(expectedItems, (x) => expect.closeTo(x, 5)));
  });
});
