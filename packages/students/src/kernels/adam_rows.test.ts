import { describe, expect, it } from "vitest";
import { adamRows } from "./adam_rows.js";
import { f32In, i32In, kernelModes, uniformValues } from "./kernel_testing.js";

describe.each(kernelModes)("adamRows [%s]", (_, arena) => {
  it("takes Adam's first step on the listed rows only (a hand-worked case)", () => {
    const a = arena();
    // Step 1 from zero moments: m = 0.1g, v = 0.001g², and with the bias-corrected rate
    // lr·√(1−β₂)/(1−β₁) the move is lr·sign(g) (up to ε). Decay 0.5 adds 0.5·x to g first.
    const values = f32In(a, [1, 1, 2, -2, 3, 3]);
    const m = f32In(a, new Float32Array(6));
    const v = f32In(a, new Float32Array(6));
    const learningRate = (0.1 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    adamRows(a, {
      values,
      m,
      v,
      rows: i32In(a, [1]),
      gradients: f32In(a, [-1, 0.5]),
      width: 2,
      learningRate,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      decay: 0.5,
    });
    // Row 1 = (2, -2): g = (-1 + 1, 0.5 - 1) = (0, -0.5): the first value stays, the second moves +0.1.
    expect(Array.from(values)).toEqual([1, 1, 2, expect.closeTo(-1.9, 5), 3, 3]);
    expect(Array.from(m)).toEqual([0, 0, 0, expect.closeTo(-0.05, 6), 0, 0]);
    expect(Array.from(v)).toEqual([0, 0, 0, expect.closeTo(0.00025, 8), 0, 0]);
  });

  it.each([1, 4, 7, 16])("agrees with Adam written out over five steps at width %i", (width) => {
    const a = arena();
    const tableRows = 5;
    const start = uniformValues(tableRows * width, 6);
    const values = f32In(a, start);
    const m = f32In(a, new Float32Array(start.length));
    const v = f32In(a, new Float32Array(start.length));
    const rows = [3, 0, 4];
    const expected = Float64Array.from(start);
    const em = new Float64Array(start.length);
    const ev = new Float64Array(start.length);
    for (let step = 1; step <= 5; step++) {
      const gradients = uniformValues(rows.length * width, 10 + step);
      const learningRate = (0.01 * Math.sqrt(1 - 0.999 ** step)) / (1 - 0.9 ** step);
      adamRows(a, {
        values,
        m,
        v,
        rows: i32In(a, rows),
        gradients: f32In(a, gradients),
        width,
        learningRate,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        decay: 0.01,
      });
      rows.forEach((row, k) => {
        for (let d = 0; d < width; d++) {
          const i = row * width + d;
          const g = gradients[k * width + d]! + 0.01 * expected[i]!;
          em[i] = 0.9 * em[i]! + 0.1 * g;
          ev[i] = 0.999 * ev[i]! + 0.001 * g * g;
          expected[i]! -= (learningRate * em[i]!) / (Math.sqrt(ev[i]!) + 1e-8);
        }
      });
    }
    expect(Array.from(values)).toEqual(Array.from(expected, (x) => expect.closeTo(x, 5)));
    // Row 1 and 2 were never listed.
    expect(Array.from(values.subarray(width, 3 * width))).toEqual(Array.from(start.subarray(width, 3 * width)));
  });
});
