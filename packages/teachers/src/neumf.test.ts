import { checkTensorLeak, readTidy, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  leaveLastOut,
  pairwiseBatches,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { rowBprLoss } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { frozenModel } from "@kdrec/model-kit";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { NeuMF } from "./neumf.js";

const bpr = (scores: tf.Tensor2D) => rowBprLoss(scores);

/** The list scores the training path computes (read from inside a zero-learning-rate step). */
const trainingScores = (model: NeuMF, users: Int32Array, items: Int32Array, width: number): Float32Array => {
  let seen: Float32Array = new Float32Array(0);
  model.trainStep({ users, items, width }, (scores) => {
    seen = Float32Array.from(scores.dataSync());
    return tf.mul(tf.sum(scores), 0) as tf.Scalar;
  });
  return seen;
};

describeEachBackend("NeuMF", () => {
  for (const mlpLayers of [[16, 8, 4], [8]]) {
    it(`scores all items exactly as its training path scores lists (MLP ${mlpLayers.join("-")})`, () => {
      const model = NeuMF.create({ users: 6, items: 9, dim: 4, mlpLayers, seed: 2, initStd: 0.5, learningRate: 1e-9 });
      const users = Int32Array.from([0, 5, 3]);
      const items = Int32Array.from([1, 8, 0, 4, 2, 2]);
      const lists = trainingScores(model, users, items, 2);
      const scorer = model.allItemScorer();
      const all = readTidy(() => scorer.score(users));
      scorer.dispose();
      const expected = Array.from(items, (item, k) => all[Math.floor(k / 2) * 9 + item]!);
      expect(Array.from(lists)).toEqual(expected.map((x) => expect.closeTo(x, 5)));
      expect(model.parameterCount).toBe(
        (6 + 9) * 4 +
          (6 + 9) * (mlpLayers[0]! / 2) +
          mlpLayers.slice(1).reduce((n, w, k) => n + mlpLayers[k]! * w + w, 0) +
          4 +
          mlpLayers[mlpLayers.length - 1]!,
      );
      model.dispose();
    });
  }

  it("learns to rank with BPR through the trainer's model interface, without leaking tensors", async () => {
    const split = leaveLastOut(syntheticDataset({ seed: 4, users: 150, items: 200 }).interactions);
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const model = NeuMF.create({ users: 150, items: 200, dim: 8, mlpLayers: [16, 8], seed: 1, learningRate: 0.01 });
    const evaluate = async () => {
      const scorer = model.allItemScorer();
      const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
      scorer.dispose();
      if (E.isLeft(report)) throw new Error(report.left.message);
      return report.right.summary["ndcg@10"]!.mean;
    };
    const untrained = await evaluate();
    // The pure-JS backend's gather gradient is slow: there, a few batches check the path and the
    // tensor count; the native backend trains for real.
    const native = tf.getBackend() !== "cpu";
    const losses: number[] = [];
    for (let epoch = 0; epoch < (native ? 8 : 2); epoch++) {
      const leak = await checkTensorLeak(() => {
        let total = 0;
        let batches = 0;
        for (const b of pairwiseBatches(split.train, sampler.right, 256, seededRandom(epoch))) {
          if (!native && batches === 3) break;
          total += model.trainStep(asItemLists(b), bpr);
          batches++;
        }
        losses.push(total / batches);
      }, `epoch ${epoch}`);
      expect(E.isRight(leak)).toBe(true);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    if (native) {
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 0.1);
      expect(await evaluate()).toBeGreaterThan(untrained + 0.02);
    }
    model.dispose();
  });

  it("resumes from its training state to the same weights", () => {
    const batch = { users: Int32Array.from([0, 1, 2]), items: Int32Array.from([1, 2, 3, 4, 5, 0]), width: 2 };
    const run = (interrupt: boolean) => {
      let model = NeuMF.create({ users: 3, items: 6, dim: 2, mlpLayers: [4, 2], seed: 5, learningRate: 0.05 });
      for (let step = 0; step < 6; step++) {
        if (interrupt && step === 3) {
          const state = model.trainingState();
          model.dispose();
          model = NeuMF.create({ users: 3, items: 6, dim: 2, mlpLayers: [4, 2], seed: 99, learningRate: 0.05 });
          model.restoreTrainingState(state);
        }
        model.trainStep(batch, bpr);
      }
      const weights = model.snapshot().flatMap((w) => Array.from(w));
      model.dispose();
      return weights;
    };
    expect(run(true)).toEqual(run(false));
  });

  it("freezes into a teacher that later training does not change", () => {
    const model = NeuMF.create({
      users: 4,
      items: 7,
      dim: 3,
      mlpLayers: [6, 3],
      seed: 3,
      initStd: 0.3,
      learningRate: 0.1,
    });
    const teacher = frozenModel(model, { name: "neumf", architecture: "neumf", users: 4, items: 7 });
    const users = Int32Array.from([2, 0]);
    const items = Int32Array.from([6, 1, 3, 3, 0, 5]);
    const before = readTidy(() => teacher.scoreLists(users, items, 3));
    const all = readTidy(() => teacher.scoreAll(users));
    expect(Array.from(before)).toEqual(
      Array.from(items, (item, k) => expect.closeTo(all[Math.floor(k / 3) * 7 + item]!, 5)),
    );
    for (let step = 0; step < 5; step++) model.trainStep({ users, items, width: 3 }, bpr);
    expect(Array.from(readTidy(() => teacher.scoreLists(users, items, 3)))).toEqual(Array.from(before));
    expect(teacher.parameterCount).toBe(model.parameterCount);
    teacher.dispose();
    model.dispose();
  });
});
