import { readTidy } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { bprLoss } from "./bpr.js";
import { describeMixture, lossTerm, mixtureLoss, type Schedule, weightAt } from "./mixture.js";
import { meanSquaredError } from "./mse.js";

interface Batch {
  positive: tf.Tensor1D;
  negative: tf.Tensor1D;
  teacher: tf.Tensor1D;
}

describeEachBackend("loss mixtures", () => {
  const ramp: Schedule = { kind: "linear", from: 0, to: 0.8, over: 4, unit: "epoch" };
  const terms = [
    lossTerm<Batch>("bpr", (b) => bprLoss(b.positive, b.negative), 0.2),
    lossTerm<Batch>("mse", (b) => meanSquaredError(b.positive, b.teacher), ramp),
  ];

  it("weights follow their schedules", () => {
    expect(weightAt(ramp, { epoch: 0, round: 0 })).toBe(0);
    expect(weightAt(ramp, { epoch: 2, round: 0 })).toBeCloseTo(0.4);
    expect(weightAt(ramp, { epoch: 9, round: 0 })).toBeCloseTo(0.8);
    expect(weightAt({ kind: "constant", value: 3 }, { epoch: 5, round: 1 })).toBe(3);
    expect(describeMixture(terms, { epoch: 2, round: 0 })).toBe("0.2·bpr + 0.4·mse");
  });

  it("sums weighted terms, skips zero weights, and disposes what it does not return", () => {
    const batch = { positive: tf.tensor1d([1, 2]), negative: tf.tensor1d([0, 3]), teacher: tf.tensor1d([1, 1]) };
    const before = tf.memory().numTensors;
    const early = mixtureLoss(terms, batch, { epoch: 0, round: 0 });
    const bpr = readTidy(() => bprLoss(batch.positive, batch.negative))[0]!;
    expect(early.total.dataSync()[0]).toBeCloseTo(0.2 * bpr, 5);
    expect(Object.keys(early.parts)).toEqual(["bpr"]);
    const { total, parts } = mixtureLoss(terms, batch, { epoch: 4, round: 0 });
    expect(Object.keys(parts)).toEqual(["bpr", "mse"]);
    expect(total.dataSync()[0]).toBeCloseTo(0.2 * parts.bpr!.dataSync()[0]! + 0.8 * 0.5, 5);
    tf.dispose([early.total, ...Object.values(early.parts), total, ...Object.values(parts)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
