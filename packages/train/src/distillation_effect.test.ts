// Distillation has an effect, end to end: for each strategy, a student distilled from a trained
// teacher agrees with that teacher (top-10 overlap on unobserved items) more than the same
// student trained alone — and more than one "distilled" from a teacher whose scores are noise (an
// untrained model), so the gain comes from the teacher's scores and not from the extra training.
// Feature alignment is the exception, measured and kept visible: aligning the tower to random
// per-user vectors raises its top-10 overlap as much as aligning it to the teacher's features
// (a regularising effect on this data), so its noise control is on the features themselves.
import { readTidy } from "@kdrec/core";
import { hasItem, leaveLastOut, syntheticDataset, userItemSets } from "@kdrec/data";
import { frozenModel, type Scorer, type Teacher, type TeacherTargets } from "@kdrec/model-kit";
import {
  mseDistillation,
  oneWay,
  rankingDistillationLoss,
  type Strategy,
  softLabel,
  twoWay,
  withFeatureAlignment,
  withFinetuning,
  withRatio,
  withRounds,
} from "@kdrec/strategies";
import { HierarchicalAttentionTower, MatrixFactorization } from "@kdrec/students";
import { ensembleTeacher, frozenMatrixFactorization, SequentialTransformer, teacherTopK } from "@kdrec/teachers";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it } from "vitest";
import { fit } from "./fit.js";

const USERS = 200;
const ITEMS = 150;
const split = leaveLastOut(syntheticDataset({ seed: 11, users: USERS, items: ITEMS }).interactions);
const seen = userItemSets(split.train);
const mf = (dim: number, seed: number, initStd = 0.1) =>
  MatrixFactorization.create({
    users: USERS,
    items: ITEMS,
    dim,
    seed,
    initStd,
    optimizer: { kind: "adam", learningRate: 0.01 },
  });

/** The top 10 unobserved items of every user under `score`. */
const topTen = (score: Scorer["score"], sets: ReturnType<typeof userItemSets>): Int32Array[] => {
  const users = Int32Array.from({ length: USERS }, (_, u) => u);
  const scores = readTidy(() => score(users)) as Float32Array;
  return Array.from(users, (u) => {
    const row = scores.subarray(u * ITEMS, (u + 1) * ITEMS);
    const items = Array.from({ length: ITEMS }, (_, i) => i).filter((i) => !hasItem(sets, u, i));
    return Int32Array.from(items.sort((a, b) => row[b]! - row[a]! || a - b).slice(0, 10));
  });
};

/** Mean cosine similarity between the rows of two `[n, d]` matrices. */
const meanCosine = (a: tf.Tensor2D, b: tf.Tensor2D): number =>
  (
    readTidy(() => {
      const unit = (x: tf.Tensor2D) => tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-8));
      return tf.mean(tf.sum(tf.mul(unit(a), unit(b)), 1));
    }) as Float32Array
  )[0]!;

/** Mean share of the teacher's top 10 that the student's top 10 holds. */
const overlap = (student: { allItemScorer(): Scorer }, teacherTop: Int32Array[]): number => {
  const scorer = student.allItemScorer();
  const mine = topTen(scorer.score, seen);
  scorer.dispose();
  let shared = 0;
  mine.forEach((items, u) => {
    const theirs = new Set(teacherTop[u]);
    for (const i of items) if (theirs.has(i)) shared += 1;
  });
  return shared / (10 * USERS);
};

/**
 * A trained MF teacher, or (noise) an untrained MF with unit-variance factors: scores as spread
 * as a trained teacher's, with no knowledge in them.
 */
const mfTeacher = async (dim: number, seed: number, trained: boolean): Promise<MatrixFactorization> => {
  const model = mf(dim, seed, trained ? 0.1 : 1);
  if (trained) {
    const result = await fit({ model, split, seed, batchSize: 256, patience: 5, maxEpochs: 25 });
    if (E.isLeft(result)) throw new Error(result.left.message);
  }
  return model;
};

const EPOCHS = 12;
const distilled = (strategy: Strategy) =>
  strategy.kind === "one-way" ? pipe(strategy, withRounds(1, EPOCHS), withFinetuning(0)) : strategy;

/** Trains a student under `strategy` (every epoch runs: patience never ends it). */
const student = async <M extends MatrixFactorization | HierarchicalAttentionTower = MatrixFactorization>(
  strategy: Strategy,
  teacher?: Teacher,
  extra: { targets?: TeacherTargets; peer?: MatrixFactorization } = {},
  model: M = mf(4, 7) as M,
): Promise<M> => {
  const result = await fit({
    model: model as MatrixFactorization,
    split,
    strategy: distilled(strategy),
    ...(teacher === undefined ? {} : { teacher }),
    ...extra,
    seed: 3,
    batchSize: 256,
    patience: 100,
    maxEpochs: EPOCHS,
  });
  if (E.isLeft(result)) throw new Error(result.left.message);
  return model;
};

describeEachBackend("distillation has an effect", () => {
  /** Asserts the distilled student agrees more than the one alone and than the noise-taught one. */
  const expectEffect = (label: string, alone: number, taught: number, fromNoise: number) => {
    // One line per strategy in the test log: the measured agreement, not only a pass.
    console.info(
      `${label}: top-10 overlap alone ${alone.toFixed(3)}, taught ${taught.toFixed(3)}, from noise ${fromNoise.toFixed(3)}`,
    );
    expect(taught).toBeGreaterThan(alone + 0.05);
    expect(taught).toBeGreaterThan(fromNoise + 0.05);
  };

  it("one way: soft labels, MSE and ranking distillation; an ensemble; a chain; two-way", async () => {
    const trained = await mfTeacher(32, 1, true);
    const noise = await mfTeacher(32, 1, false);
    const teacher = frozenMatrixFactorization(trained);
    const noiseTeacher = frozenMatrixFactorization(noise);
    const teacherTop = topTen(teacher.scoreAll, seen);
    const alone = overlap(await student({ kind: "none" }), teacherTop);

    for (const [label, strategy] of [
      ["soft-label", pipe(oneWay(softLabel(50, 1)), withRatio(0.8))],
      ["mse", pipe(oneWay(mseDistillation(20)), withRatio(0.8))],
    ] as const) {
      const taught = overlap(await student(strategy, teacher), teacherTop);
      const fromNoise = overlap(await student(strategy, noiseTeacher), teacherTop);
      expectEffect(label, alone, taught, fromNoise);
    }

    const ranking = pipe(oneWay(rankingDistillationLoss(10)), withRatio(0.8));
    const rankingTaught = await student(ranking, teacher, { targets: await teacherTopK(teacher, split.train, 10) });
    const rankingNoise = await student(ranking, noiseTeacher, {
      targets: await teacherTopK(noiseTeacher, split.train, 10),
    });
    expectEffect("ranking", alone, overlap(rankingTaught, teacherTop), overlap(rankingNoise, teacherTop));

    // An ensemble of two trained teachers, against an ensemble of two untrained ones.
    const second = await mfTeacher(16, 2, true);
    const secondNoise = await mfTeacher(16, 2, false);
    const [secondTeacher, secondNoiseTeacher] = [
      frozenMatrixFactorization(second),
      frozenMatrixFactorization(secondNoise),
    ];
    const ensemble = ensembleTeacher([teacher, secondTeacher], [0.5, 0.5]);
    const noiseEnsemble = ensembleTeacher([noiseTeacher, secondNoiseTeacher], [0.5, 0.5]);
    const ensembleTop = topTen(ensemble.scoreAll, seen);
    const soft = pipe(oneWay(softLabel(50, 1)), withRatio(0.8));
    expectEffect(
      "ensemble",
      overlap(await student({ kind: "none" }), ensembleTop),
      overlap(await student(soft, ensemble), ensembleTop),
      overlap(await student(soft, noiseEnsemble), ensembleTop),
    );

    // A chain: teacher → MF-16 assistant → MF-4 student, judged against the first teacher.
    const chain = async (from: Teacher) => {
      const assistant = frozenMatrixFactorization(await student(soft, from, {}, mf(16, 9)));
      const end = await student(soft, assistant);
      assistant.dispose();
      return end;
    };
    expectEffect(
      "chain",
      alone,
      overlap(await chain(teacher), teacherTop),
      overlap(await chain(noiseTeacher), teacherTop),
    );

    // Two-way: the teacher trains beside the student as its peer (a copy of the trained one).
    const peerOf = async (trainedPeer: boolean) => {
      const peer = await mfTeacher(32, 1, trainedPeer);
      return student(twoWay({ epochs: EPOCHS, alpha: 0.8, candidates: 20, sampling: "uniform" }), undefined, { peer });
    };
    expectEffect("two-way", alone, overlap(await peerOf(true), teacherTop), overlap(await peerOf(false), teacherTop));

    for (const t of [teacher, noiseTeacher, secondTeacher, secondNoiseTeacher]) t.dispose();
  });

  it("feature alignment: a tower aligned to a SASRec teacher's features alone agrees with it more", async () => {
    const trainedSasrec = async () => {
      const model = SequentialTransformer.create(
        { items: ITEMS, hidden: 16, blocks: 1, heads: 2, maxLength: 8, seed: 4, learningRate: 0.01 },
        split.train,
      );
      const result = await fit({ model, split, seed: 4, batchSize: 256, patience: 3, maxEpochs: 10 });
      if (E.isLeft(result)) throw new Error(result.left.message);
      const teacher = frozenModel(model, {
        name: "sasrec",
        architecture: "sasrec",
        users: USERS,
        items: ITEMS,
        features: model.featureSource(),
      });
      model.dispose();
      return teacher;
    };
    const teacher = await trainedSasrec();
    // The same teacher with its features replaced by noise: a fixed random vector per user and level.
    const noiseTables = [0, 1].map((level) => tf.randomNormal([USERS, 16], 0, 1, "float32", 40 + level));
    const noiseTeacher: Teacher = {
      ...teacher,
      features: (users) => {
        const index = tf.tensor1d(users, "int32");
        const out = noiseTables.map((table) => tf.gather(table, index) as tf.Tensor2D);
        index.dispose();
        return out;
      },
    };
    const teacherTop = topTen(teacher.scoreAll, seen);
    const tower = () =>
      HierarchicalAttentionTower.create(
        { items: ITEMS, dim: 8, groups: 2, perGroup: 4, seed: 5, learningRate: 0.01, alignTo: [16, 16] },
        split.train,
      );
    // α = 0: the soft-label term is off; the features are all the student learns from the teacher.
    const aligned = pipe(oneWay(softLabel(10, 1)), withRatio(0), withFeatureAlignment(1, { distance: "cosine" }));
    const users = Int32Array.from({ length: USERS }, (_, u) => u);
    const teacherFeatures = teacher.features!(users);
    /**
     * Top-10 overlap, and how close the tower's user vectors, through the projection it learned,
     * are to the teacher's (mean cosine).
     */
    const towerAgreement = async (strategy: Strategy, from?: Teacher) => {
      const model = tower();
      await student(strategy, from, {}, model);
      const { level1, level2 } = model.features(users);
      const weights = model.namedWeights().find((w) => w.name === "align.1")!;
      const projection = tf.tensor2d(weights.values, weights.shape as [number, number]);
      const projected = tf.matMul(level2, projection) as tf.Tensor2D;
      const value = { top10: overlap(model, teacherTop), structure: meanCosine(projected, teacherFeatures[1]!) };
      tf.dispose([level1, level2, projection, projected]);
      model.dispose();
      return value;
    };
    const alone = await towerAgreement({ kind: "none" });
    const taught = await towerAgreement(aligned, teacher);
    const fromNoise = await towerAgreement(aligned, noiseTeacher);
    console.info(
      `feature alignment: top-10 overlap alone ${alone.top10.toFixed(3)}, taught ${taught.top10.toFixed(3)}, from noise ${fromNoise.top10.toFixed(3)}; ` +
        `cosine to the teacher's user vectors alone ${alone.structure.toFixed(3)}, taught ${taught.structure.toFixed(3)}, from noise ${fromNoise.structure.toFixed(3)}`,
    );
    // Aligned features make the tower rank more like its teacher...
    expect(taught.top10).toBeGreaterThan(alone.top10 + 0.02);
    // ...and its user vectors come to point as the teacher's do, which aligning to noise does not do.
    expect(taught.structure).toBeGreaterThan(alone.structure + 0.1);
    expect(taught.structure).toBeGreaterThan(fromNoise.structure + 0.1);
    teacher.dispose();
    tf.dispose([...noiseTables, ...teacherFeatures]);
  });
}, ["tensorflow"]);
