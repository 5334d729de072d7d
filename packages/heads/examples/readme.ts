import { initEngine, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  leaveLastOut,
  pairwiseBatches,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { evaluateTasks, MultiTaskModel } from "@kdrec/heads";
import { rowBprLoss } from "@kdrec/losses";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
const split = leaveLastOut(syntheticDataset({ seed: 7, users: 200, items: 300 }).interactions);
const sampler = uniformNegatives(userItemSets(split.train));
if (E.isLeft(sampler)) throw new Error(sampler.left.message);

// Rating, like and ranking heads over an MMoE bottom, task weights learned by uncertainty.
const created = MultiTaskModel.create(
  { users: 200, items: 300, dim: 8, bottom: "mmoe", experts: 3, weighting: "uncertainty", learningRate: 0.01, seed: 1 },
  split.train,
);
if (E.isLeft(created)) throw new Error(created.left.message);
const model = created.right;
console.log(`parameters: ${model.parameterCount}`);

// The ranking head takes the trainer's loss (here BPR); the rating and like losses come from the
// labels of the rows (`rows`) the batch stands for.
for (let epoch = 0; epoch < 3; epoch++)
  for (const batch of pairwiseBatches(split.train, sampler.right, 256, seededRandom(1).split(`epoch-${epoch}`)))
    model.trainStep(asItemLists(batch), (s) => rowBprLoss(s));

const metrics = evaluateTasks(model, split.test, split.train, seededRandom(2));
if (E.isRight(metrics))
  console.log(`test rmse ${metrics.right.rmse.toFixed(3)}, like auc ${metrics.right.auc.toFixed(3)}`);
const weights = model.learnedTaskWeights();
console.log(
  `learned weights: rating ${weights.rating.toFixed(2)}, like ${weights.like.toFixed(2)}, ranking ${weights.ranking.toFixed(2)}`,
);
model.dispose();
