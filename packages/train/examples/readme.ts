import { initEngine } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { oneWay, softLabel, withRounds, withTemperature } from "@kdrec/strategies";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization } from "@kdrec/teachers";
import { fit } from "@kdrec/train";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";

await initEngine()();
const split = leaveLastOut(syntheticDataset({ seed: 7, users: 300, items: 500 }).interactions);
const mf = (dim: number) =>
  MatrixFactorization.create({ users: 300, items: 500, dim, seed: 1, optimizer: { kind: "adam", learningRate: 0.01 } });

// The teacher trains through the same loop as every student: strategy "none".
const wide = mf(64);
const trained = await fit({
  model: wide,
  split,
  strategy: { kind: "none" },
  seed: 1,
  batchSize: 512,
  patience: 3,
  maxEpochs: 30,
});
if (E.isLeft(trained)) throw new Error(trained.left.message);
console.log(
  `teacher: best epoch ${trained.right.bestEpoch}, valid NDCG@10 ${trained.right.valid["ndcg@10"]!.mean.toFixed(4)}`,
);

// A student distilled one way: (1 − α)·BPR + α·soft-label CE, then fine-tuning; the best epoch is kept.
const teacher = frozenMatrixFactorization(wide);
const strategy = pipe(oneWay(softLabel(50)), withTemperature(0.5), withRounds(2, 5));
const student = mf(8);
const distilled = await fit({ model: student, split, strategy, teacher, seed: 1, batchSize: 512, patience: 3 });
if (E.isRight(distilled))
  console.log(
    `student: ${distilled.right.epochs} epochs, valid NDCG@10 ${distilled.right.valid["ndcg@10"]!.mean.toFixed(4)}`,
  );
teacher.dispose();
