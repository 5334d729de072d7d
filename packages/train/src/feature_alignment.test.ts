// Feature alignment through the one loop: a tower student aligned to a SASRec teacher's features,
// and the refusals when either side has no features.
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { frozenModel } from "@kdrec/model-kit";
import { oneWay, softLabel, withFeatureAlignment, withRounds } from "@kdrec/strategies";
import { HierarchicalAttentionTower, MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization, SequentialTransformer } from "@kdrec/teachers";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it } from "vitest";
import { fit } from "./fit.js";

const split = leaveLastOut(syntheticDataset({ seed: 8, users: 80, items: 100 }).interactions);
const strategy = pipe(oneWay(softLabel(10, 1)), withRounds(1, 2), withFeatureAlignment(0.5, { distance: "cosine" }));

describeEachBackend("fit with feature alignment", () => {
  it("trains a tower aligned to a SASRec teacher's features, leaving no tensor behind", async () => {
    const sasrec = SequentialTransformer.create(
      { items: 100, hidden: 8, blocks: 2, heads: 2, maxLength: 6, seed: 1 },
      split.train,
    );
    const teacher = frozenModel(sasrec, {
      name: "sasrec",
      architecture: "sasrec",
      users: 80,
      items: 100,
      features: sasrec.featureSource(),
    });
    sasrec.dispose();
    expect(teacher.featureWidths).toEqual([8, 8]);
    const tower = HierarchicalAttentionTower.create(
      { items: 100, dim: 4, groups: 2, perGroup: 3, seed: 2, learningRate: 0.01, alignTo: [8, 8] },
      split.train,
    );
    const before = tf.memory().numTensors;
    const parts: string[] = [];
    const result = await fit({
      model: tower,
      split,
      strategy,
      teacher,
      seed: 1,
      batchSize: 128,
      patience: 2,
      onEpoch: (r) => parts.push(r.phase),
    });
    if (E.isLeft(result)) throw new Error(result.left.message);
    expect(parts).toContain("distill");
    expect(tf.memory().numTensors).toBe(before);
    // the alignment projections are trained with the tower but are not part of the served model
    expect(tower.parameterCount).toBe(101 * 4 + 100 + 2 * (4 * 4 + 4 + 4) + 4 * 4 + 4);
    tower.dispose();
    teacher.dispose();
  });

  it("refuses feature alignment when the student or the teacher has no features", async () => {
    const mf = MatrixFactorization.create({ users: 80, items: 100, dim: 4, seed: 1 });
    const mfTeacher = frozenMatrixFactorization(MatrixFactorization.create({ users: 80, items: 100, dim: 8, seed: 2 }));
    const noStudent = await fit({ model: mf, split, strategy, teacher: mfTeacher, seed: 1 });
    expect(E.isLeft(noStudent) && noStudent.left.message).toMatch(/needs a student that exposes features/);
    const tower = HierarchicalAttentionTower.create({ items: 100, dim: 4, alignTo: [8, 8] }, split.train);
    const noTeacher = await fit({ model: tower, split, strategy, teacher: mfTeacher, seed: 1 });
    expect(E.isLeft(noTeacher) && noTeacher.left.message).toMatch(/needs a teacher that exposes features/);
    tower.dispose();
    mfTeacher.dispose();
  });
}, ["tensorflow"]);
