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
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { evaluateTasks } from "./evaluate_tasks.js";
import { type HeadDistillation, type MultiTaskConfig, MultiTaskModel } from "./multi_task_model.js";

const split = leaveLastOut(syntheticDataset({ seed: 2, users: 120, items: 150 }).interactions);
const bpr = (s: tf.Tensor2D) => rowBprLoss(s);
const created = (config: Partial<MultiTaskConfig>, distillation?: HeadDistillation) => {
  const model = MultiTaskModel.create(
    { users: 120, items: 150, dim: 8, seed: 1, learningRate: 0.01, ...config },
    split.train,
    distillation,
  );
  if (E.isLeft(model)) throw new Error(model.left.message);
  return model.right;
};
const sampler = uniformNegatives(userItemSets(split.train));

const train = async (model: MultiTaskModel, epochs: number, maxBatches = Number.POSITIVE_INFINITY) => {
  if (E.isLeft(sampler)) throw new Error(sampler.left.message);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const leak = await checkTensorLeak(() => {
      let k = 0;
      for (const b of pairwiseBatches(split.train, sampler.right, 256, seededRandom(epoch))) {
        if (k++ >= maxBatches) break;
        model.trainStep(asItemLists(b), bpr);
      }
    }, `epoch ${epoch}`);
    expect(E.isRight(leak)).toBe(true);
  }
};
// The fit to the training labels (the synthetic validation set, one rating per user, is too small
// and too noisy to show a head learning; MovieLens-100K figures are in the issue notes).
const tasks = (model: MultiTaskModel) => {
  const metrics = evaluateTasks(model, split.train, split.valid, seededRandom(9));
  if (E.isLeft(metrics)) throw new Error(metrics.left.message);
  return metrics.right;
};
const ndcg = async (model: MultiTaskModel) => {
  const scorer = model.allItemScorer();
  const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
  scorer.dispose();
  if (E.isLeft(report)) throw new Error(report.left.message);
  return report.right.summary["ndcg@10"]!.mean;
};

describeEachBackend("MultiTaskModel", (backend) => {
  const native = backend !== "cpu";
  for (const bottom of ["shared-bottom", "mmoe"] as const) {
    it(`${bottom}: learns ratings, likes and ranking together, leaving no tensor behind`, async () => {
      const model = created({ bottom });
      const [before, beforeNdcg] = [tasks(model), await ndcg(model)];
      await train(model, native ? 10 : 1, native ? Number.POSITIVE_INFINITY : 2);
      if (native) {
        const after = tasks(model);
        expect(after.rmse).toBeLessThan(before.rmse - 0.2);
        expect(after.auc).toBeGreaterThan(0.7);
        expect(await ndcg(model)).toBeGreaterThan(beforeNdcg + 0.02);
      }
      model.dispose();
    });
  }

  it("uncertainty weighting learns a weight per task", async () => {
    const model = created({ weighting: "uncertainty" });
    await train(model, native ? 3 : 1, native ? Number.POSITIVE_INFINITY : 2);
    const weights = Object.values(model.learnedTaskWeights());
    expect(weights.every((w) => w > 0 && w !== 1)).toBe(true);
    model.dispose();
  });

  it("distils each head from a teacher's: with α = 1 the student's ratings move to the teacher's", async () => {
    const teacher = created({ seed: 5, dim: 16 });
    await train(teacher, native ? 4 : 1, native ? Number.POSITIVE_INFINITY : 2);
    const settings = { rating: { alpha: 1 }, like: { alpha: 0.5, temperature: 2 } };
    const student = created({ seed: 6, dim: 4 }, { teacher, settings });
    const distance = () => {
      const users = split.valid.users;
      const items = split.valid.items;
      const a = student.predictTasks(users, items);
      const b = teacher.predictTasks(users, items);
      const d = readTidy(() => tf.mean(tf.squaredDifference(a.rating, b.rating)))[0]!;
      tf.dispose([a.rating, a.like, b.rating, b.like]);
      return d;
    };
    const before = distance();
    await train(student, native ? 4 : 1, native ? Number.POSITIVE_INFINITY : 2);
    if (native) expect(distance()).toBeLessThan(before / 2);
    const refused = MultiTaskModel.create({ users: 120, items: 150, dim: 4 }, split.train, {
      teacher,
      settings: { like: { alpha: 1.5 } },
    });
    expect(E.isLeft(refused) && `${refused.left.location}: ${refused.left.message}`).toBe(
      "like.alpha: must be in [0, 1], got 1.5",
    );
    student.dispose();
    teacher.dispose();
  });

  it("refuses data without ratings", () => {
    const { ratings: _, ...noRatings } = split.train;
    const refused = MultiTaskModel.create({ users: 120, items: 150, dim: 4 }, noRatings);
    expect(E.isLeft(refused) && refused.left.message).toBe(
      "the data has no ratings: the rating and like heads have no labels",
    );
  });
});
