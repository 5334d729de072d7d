// Representation distillation, end to end: each method leaves its defining mark on a small MF
// student, and fails to when the teacher's vectors are noise (an untrained MF). FTD and HTD carry
// the teacher's topology: the cosine similarities among users and items come closer to the
// teacher's. DE's experts learn to map the student's vectors onto the teacher's, which they cannot
// do for noise. (Not asserted, as measured while writing this: DE does *not* make the student's
// vectors linearly predictive of the teacher's — a least-squares probe explained R² 0.30 of them
// alone, 0.22 after DE; the gate, which reads the teacher, carries the coarse part.) The experts
// survive a kill and a resume, and are freed after training.
import { readTidy } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { topologyLoss } from "@kdrec/losses";
import {
  oneWay,
  type Strategy,
  softLabel,
  withFinetuning,
  withRatio,
  withRepresentation,
  withRounds,
} from "@kdrec/strategies";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization } from "@kdrec/teachers";
import { describeEachBackend, killableStore } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it } from "vitest";
import { type FitCheckpoint, fit } from "./fit.js";

const USERS = 120;
const ITEMS = 90;
const split = leaveLastOut(syntheticDataset({ seed: 5, users: USERS, items: ITEMS }).interactions);
const mf = (dim: number, seed: number, initStd = 0.1) =>
  MatrixFactorization.create({
    users: USERS,
    items: ITEMS,
    dim,
    seed,
    initStd,
    optimizer: { kind: "adam", learningRate: 0.01 },
  });

const EPOCHS = 8;
/** α = 0: the loss on scores is off, the vectors are all the student learns from the teacher. */
const representation = (method: "ftd" | "htd" | "de", weight: number, learningRate = 1e-3): Strategy =>
  pipe(
    oneWay(softLabel(10, 1)),
    withRatio(0),
    withRounds(1, EPOCHS),
    withFinetuning(0),
    withRepresentation({ method, weight, entities: 64, experts: 3, learningRate }),
  );

const train = async (model: MatrixFactorization, strategy: Strategy, teacher?: MatrixFactorization) => {
  const frozen = teacher === undefined ? undefined : frozenMatrixFactorization(teacher);
  const result = await fit({
    model,
    split,
    strategy,
    ...(frozen === undefined ? {} : { teacher: frozen }),
    seed: 3,
    batchSize: 128,
    patience: 100,
    maxEpochs: EPOCHS,
  });
  frozen?.dispose();
  if (E.isLeft(result)) throw new Error(result.left.message);
  return result.right;
};

/** Every user's and item's vector, `[users + items, dim]`. */
const vectors = (model: MatrixFactorization) =>
  tf.concat([
    tf.tensor2d(model.userFactors, [USERS, model.config.dim]),
    tf.tensor2d(model.itemFactors, [ITEMS, model.config.dim]),
  ]) as tf.Tensor2D;

/** FTD's loss over every entity: how far the student's similarities are from the teacher's. */
const topologyGap = (student: MatrixFactorization, teacher: MatrixFactorization): number =>
  (readTidy(() => topologyLoss(vectors(student), vectors(teacher))) as Float32Array)[0]!;

describeEachBackend("representation distillation", () => {
  const teachers = async () => {
    const trained = mf(32, 1);
    const result = await fit({ model: trained, split, seed: 1, batchSize: 128, patience: 5, maxEpochs: 20 });
    if (E.isLeft(result)) throw new Error(result.left.message);
    // Noise: an untrained MF whose vectors are as spread as a trained one's, with nothing learnt.
    return { trained, noise: mf(32, 1, 1) };
  };

  it("topology distillation (FTD, HTD) brings the student's similarities to the teacher's, and noise does not", async () => {
    const { trained, noise } = await teachers();
    const alone = mf(4, 7);
    await train(alone, { kind: "none" }, undefined);
    const aloneGap = topologyGap(alone, trained);
    for (const [method, weight] of [
      ["ftd", 10],
      ["htd", 10],
    ] as const) {
      const taught = mf(4, 7);
      await train(taught, representation(method, weight), trained);
      const fromNoise = mf(4, 7);
      await train(fromNoise, representation(method, weight), noise);
      const [taughtGap, noiseGap] = [topologyGap(taught, trained), topologyGap(fromNoise, trained)];
      console.info(
        `${method}: similarity gap to the teacher alone ${aloneGap.toFixed(4)}, taught ${taughtGap.toFixed(4)}, from noise ${noiseGap.toFixed(4)}`,
      );
      expect(taughtGap).toBeLessThan(aloneGap * 0.8);
      expect(taughtGap).toBeLessThan(noiseGap * 0.8);
    }
  });

  it("distillation experts learn to map the student's vectors onto the teacher's, and cannot onto noise", async () => {
    const { trained, noise } = await teachers();
    /** The experts' reconstruction error per epoch, over the teacher's mean squared vector norm. */
    const relativeError = async (teacher: MatrixFactorization) => {
      const { history } = await train(mf(4, 7), representation("de", 1, 0.01), teacher);
      const t = vectors(teacher);
      const scale = (readTidy(() => tf.mean(tf.sum(tf.square(t), 1))) as Float32Array)[0]!;
      t.dispose();
      return history.map((r) => r.terms!["distillation-experts"]! / scale);
    };
    const taught = await relativeError(trained);
    const fromNoise = await relativeError(noise);
    console.info(
      `de: reconstruction error over the teacher's mean squared norm, first and last epoch: taught ${taught[0]!.toFixed(3)} → ${taught.at(-1)!.toFixed(3)}, from noise ${fromNoise[0]!.toFixed(3)} → ${fromNoise.at(-1)!.toFixed(3)}`,
    );
    expect(taught.at(-1)!).toBeLessThan(taught[0]! * 0.5);
    expect(taught.at(-1)!).toBeLessThan(fromNoise.at(-1)! * 0.7);
  });

  it("keeps the experts in checkpoints: a run killed mid-way resumes to the uninterrupted result, and frees them", async () => {
    const { trained } = await teachers();
    const teacher = frozenMatrixFactorization(trained);
    const strategy = representation("htd", 1);
    const options = { split, strategy, teacher, seed: 3, batchSize: 128, patience: 100, maxEpochs: EPOCHS };
    const before = tf.memory().numTensors;
    const uninterrupted = mf(4, 7);
    const full = await fit({ model: uninterrupted, ...options });
    if (E.isLeft(full)) throw new Error(full.left.message);
    expect(tf.memory().numTensors).toBe(before);

    const store = killableStore<FitCheckpoint<unknown, unknown>>();
    await expect(fit({ model: mf(4, 7), ...options, checkpoints: store.killingAt(3) })).rejects.toThrow("killed");
    expect(store.last()?.plans?.[0]).toBeDefined();
    const resumedModel = mf(4, 99);
    const resumed = await fit({ model: resumedModel, ...options, checkpoints: store.killingAt(-1) });
    if (E.isLeft(resumed)) throw new Error(resumed.left.message);
    expect(resumed.right.history.map((r) => r.loss)).toEqual(full.right.history.map((r) => r.loss));
    expect(resumedModel.userFactors).toEqual(uninterrupted.userFactors);
    teacher.dispose();
  });
});
