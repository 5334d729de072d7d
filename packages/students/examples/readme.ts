import { initEngine, seededRandom } from "@kdrec/core";
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
import { MatrixFactorization } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
const split = leaveLastOut(syntheticDataset({ seed: 7, users: 300, items: 500 }).interactions);
const sampler = uniformNegatives(userItemSets(split.train));
if (E.isLeft(sampler)) throw new Error(sampler.left.message);

// A student MF with 8 factors, trained by BPR with sparse Adam (only the touched rows move).
const student = MatrixFactorization.create({
  users: 300,
  items: 500,
  dim: 8,
  seed: 1,
  optimizer: { kind: "adam", learningRate: 0.01 },
});
console.log(`parameters: ${student.parameterCount}`); // (300 + 500) × 8 = 6400

for (let epoch = 0; epoch < 10; epoch++) {
  for (const batch of pairwiseBatches(split.train, sampler.right, 512, seededRandom(1).split(`epoch-${epoch}`))) {
    // Each row's item list: its positive, then its negative.
    student.trainStep(asItemLists(batch), (scores) => rowBprLoss(scores));
  }
}

const scorer = student.allItemScorer();
const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
scorer.dispose();
if (E.isRight(report)) console.log(`validation NDCG@10 ${report.right.summary["ndcg@10"]!.mean.toFixed(4)}`);
