// The loss table is open: a distillation loss defined here, outside @kdrec/strategies, trains an MF
// student through `fit` and through `runExperiment` (decoded from a config like the built-ins),
// and its effect shows: the distilled student agrees with its teacher more than one trained alone.
import { decodeConfig, readTidy } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { complement, lossTerm } from "@kdrec/losses";
import {
  bprTerm,
  type DistillationLossEntry,
  listsWithCandidates,
  registerDistillationLoss,
  teacherScores,
  uniformItems,
} from "@kdrec/strategies";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization } from "@kdrec/teachers";
import { describeEachBackend } from "@kdrec/testing";
import { fit } from "@kdrec/train";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { expect, it } from "vitest";
import { experimentSpec, runExperiment } from "./index.js";

/** A hinge on score gaps: the student pays when it scores a candidate more than `margin` off the teacher. */
interface GapHinge {
  readonly kind: "gap-hinge";
  readonly margin: number;
  readonly candidates: number;
}

const gapHinge: DistillationLossEntry<GapHinge> = {
  kind: "gap-hinge",
  termName: "gap-hinge",
  options: { margin: t.number, candidates: t.number },
  defaults: { kind: "gap-hinge", margin: 0.1, candidates: 20 },
  describe: (loss) => `margin ${loss.margin}, ${loss.candidates} candidates`,
  teacherTopK: () => 0,
  draws: (loss) => [{ field: "loss.candidates", size: loss.candidates, what: "candidates" }],
  plan: (loss, context) =>
    E.right({
      width: loss.candidates + 2,
      lists: listsWithCandidates(loss.candidates, uniformItems(context.numItems), false),
      terms: [
        bprTerm(complement(context.alpha)),
        lossTerm(
          "gap-hinge",
          (s) => tf.mean(tf.relu(tf.sub(tf.abs(tf.sub(s.student, teacherScores(s))), loss.margin))) as tf.Scalar,
          context.alpha,
        ),
      ],
    }),
};
registerDistillationLoss(gapHinge);

const data = syntheticDataset({ seed: 4, users: 120, items: 150 });
const split = leaveLastOut(data.interactions);
const mf = (dim: number, seed: number) =>
  MatrixFactorization.create({ users: 120, items: 150, dim, seed, optimizer: { kind: "adam", learningRate: 0.01 } });
const strategy = {
  kind: "one-way",
  loss: { kind: "gap-hinge", margin: 0 },
  alpha: 0.9,
  rounds: 1,
  epochsPerRound: 8,
  finetune: { epochs: 0 },
} as const;

/** Mean squared gap between two models' scores of every (user, item) pair. */
const gap = (a: MatrixFactorization, b: MatrixFactorization) => {
  const [sa, sb] = [a.allItemScorer(), b.allItemScorer()];
  const users = Int32Array.from({ length: 120 }, (_, u) => u);
  const value = readTidy(() => tf.mean(tf.squaredDifference(sa.score(users), sb.score(users))))[0]!;
  sa.dispose();
  sb.dispose();
  return value;
};

describeEachBackend("a distillation loss registered from outside @kdrec/strategies", () => {
  it("trains an MF student through fit, which then agrees with its teacher more than an undistilled one", async () => {
    const teacherModel = mf(16, 1);
    const trained = await fit({ model: teacherModel, split, seed: 1, batchSize: 256, maxEpochs: 10, patience: 10 });
    expect(E.isRight(trained)).toBe(true);
    const teacher = frozenMatrixFactorization(teacherModel);
    const tensors = tf.memory().numTensors;
    const distilled = mf(16, 2);
    const alone = mf(16, 2);
    const options = { split, seed: 2, batchSize: 256, patience: 20 };
    const kd = await fit({ model: distilled, strategy, teacher, ...options });
    const none = await fit({ model: alone, maxEpochs: 8, ...options });
    expect(E.isRight(kd) && E.isRight(none)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(gap(distilled, teacherModel)).toBeLessThan(gap(alone, teacherModel) / 2);
    teacher.dispose();
  });

  it("is decoded from a config and run by runExperiment, its options checked like a built-in's", async () => {
    const config = {
      dataset: { format: "synthetic", options: { seed: 4, users: 120, items: 150 } },
      teacher: { name: "teacher", dim: 16, learningRate: 0.01, maxEpochs: 4, patience: 4, batchSize: 256 },
      students: [{ name: "student", dim: 8, learningRate: 0.01, batchSize: 256, strategy }],
    };
    const spec = decodeConfig(experimentSpec(), config, "run.json");
    if (E.isLeft(spec)) throw new Error(spec.left.message);
    const result = await runExperiment(spec.right, { data })();
    if (E.isLeft(result)) throw new Error(result.left.message);
    const student = result.right.models.find((m) => m.name === "student")!;
    expect(student.losses).toEqual(["bpr", "gap-hinge"]);
    expect(student.strategy).toMatch(/^one-way gap-hinge \(α=0.9, margin 0, 20 candidates, 1×8 epochs/);
    const misspelt = decodeConfig(
      experimentSpec(),
      {
        ...config,
        students: [{ ...config.students[0], strategy: { ...strategy, loss: { kind: "gap-hinge", margn: 1 } } }],
      },
      "run.json",
    );
    expect(E.isLeft(misspelt) && misspelt.left.message).toMatch(
      /students\[0\]\.strategy\.loss\.margn: unknown key \(did you mean "margin"\?\)/,
    );
  });
});
