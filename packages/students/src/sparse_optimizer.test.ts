import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { RowArena } from "./row_arena.js";
import { sparseOptimizer } from "./sparse_optimizer.js";

// When every row is touched every step, a lazy optimizer must equal TF.js's dense one.
describeEachBackend("sparse optimizers", () => {
  const rows = 3;
  const width = 2;
  const start = [0.5, -0.2, 0.1, 0.3, -0.4, 0.8];
  const gradientAt = (step: number) => Float32Array.from(start, (x, i) => Math.sin(step + i) * 0.3 + x * 0.1);

  const cases: Array<[string, Parameters<typeof sparseOptimizer>[0], () => tf.Optimizer]> = [
    ["adam", { kind: "adam", learningRate: 0.05 }, () => tf.train.adam(0.05, 0.9, 0.999, 1e-8)],
    ["adagrad", { kind: "adagrad", learningRate: 0.1, initialAccumulator: 0.1 }, () => tf.train.adagrad(0.1, 0.1)],
    ["sgd", { kind: "sgd", learningRate: 0.1 }, () => tf.train.sgd(0.1)],
  ];

  it.each(cases)("%s matches TF.js's dense optimizer when every row is touched", (_, config, dense) => {
    const table = Float32Array.from(start);
    const optimizer = sparseOptimizer(config, table.length);
    const variable = tf.variable(tf.tensor2d(start, [rows, width]));
    const reference = dense();
    for (let step = 0; step < 5; step++) {
      optimizer.apply(table, width, Int32Array.from([2, 0, 1]), permuted(gradientAt(step)));
      reference.applyGradients({ [variable.name]: tf.tensor2d(gradientAt(step), [rows, width]) });
    }
    expect(Array.from(table)).toEqual(Array.from(variable.dataSync()).map((x) => expect.closeTo(x, 5)));
    reference.dispose();
    variable.dispose();
  });

  it("adam keeps its moments in the table's arena and steps as in plain arrays", () => {
    const arena = RowArena.create();
    const table = arena.f32(arena.reserve(start.length), start.length);
    table.set(start);
    const inArena = sparseOptimizer({ kind: "adam", learningRate: 0.05 }, table.length, arena);
    const plainTable = Float32Array.from(start);
    const plain = sparseOptimizer({ kind: "adam", learningRate: 0.05 }, table.length);
    for (let step = 0; step < 5; step++) {
      inArena.apply(table, width, Int32Array.from([2, 0]), permuted(gradientAt(step)).subarray(0, 4), 0.1);
      plain.apply(plainTable, width, Int32Array.from([2, 0]), permuted(gradientAt(step)).subarray(0, 4), 0.1);
    }
    expect(Array.from(table)).toEqual(Array.from(plainTable, (x) => expect.closeTo(x, 6)));
    expect((inArena.state().m as Float32Array).buffer).toBe(table.buffer);
  });

  it("leaves untouched rows and their state alone", () => {
    const table = Float32Array.from(start);
    const optimizer = sparseOptimizer({ kind: "adam", learningRate: 0.1 }, table.length);
    optimizer.apply(table, width, Int32Array.from([1]), Float32Array.from([1, 1]));
    expect(Array.from(table.subarray(0, 2))).toEqual(Array.from(Float32Array.from(start.slice(0, 2))));
    expect(Array.from(table.subarray(4))).toEqual(Array.from(Float32Array.from(start.slice(4))));
    expect(table[2]).toBeCloseTo(0.1 - 0.1, 5); // Adam's first step moves by the learning rate
    expect((optimizer.state().m as Float32Array)[0]).toBe(0);
  });
});

/** The gradient rows reordered as rows [2, 0, 1]. */
const permuted = (g: Float32Array): Float32Array => Float32Array.from([g[4]!, g[5]!, g[0]!, g[1]!, g[2]!, g[3]!]);
