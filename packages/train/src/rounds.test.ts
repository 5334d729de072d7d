// Rounds that are rounds: early stopping ends a round, not the distillation; fine-tuning always
// runs, from the best model, and may train a part of the model only; α follows its schedule
// across rounds; a loss with a pool draws new targets each round, and a resumed run redraws the
// same ones.
import { seededRandom } from "@kdrec/core";
import { leaveLastOut, pairwiseBatches, syntheticDataset, uniformNegatives, userItemSets } from "@kdrec/data";
import { describeMixture } from "@kdrec/losses";
import { type Strategy, strategyPhases } from "@kdrec/strategies";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization, teacherTopK } from "@kdrec/teachers";
import { describeEachBackend, killableStore } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { nextPosition } from "./early_stopping.js";
import { type EpochRecord, type FitCheckpoint, fit } from "./fit.js";

const split = leaveLastOut(syntheticDataset({ seed: 8, users: 120, items: 150 }).interactions);
const mf = (dim: number, seed: number) =>
  MatrixFactorization.create({ users: 120, items: 150, dim, seed, optimizer: { kind: "adam", learningRate: 0.01 } });

describe("nextPosition", () => {
  const limits = { patience: 3, epochs: 30, roundLength: 10 };
  it("moves a stalled round on to the next round, and the last one to the next phase", () => {
    // Round 0 (epochs 0–9) last improved at epoch 2: after epoch 5 it has stalled for 3 epochs.
    expect(nextPosition({ epoch: 2 }, { phase: 0, inPhase: 5, epoch: 5 }, limits)).toEqual({
      phase: 0,
      inPhase: 10,
      epoch: 6,
    });
    expect(nextPosition({ epoch: 2 }, { phase: 0, inPhase: 4, epoch: 4 }, limits)).toEqual({
      phase: 0,
      inPhase: 5,
      epoch: 5,
    });
    expect(nextPosition({ epoch: 2 }, { phase: 0, inPhase: 25, epoch: 14 }, limits)).toEqual({
      phase: 1,
      inPhase: 0,
      epoch: 15,
    });
  });

  it("counts patience from the round's start: a new round or phase always gets its epochs", () => {
    // Round 1 started at epoch 6; the best epoch (2) is older, yet two epochs in it goes on.
    expect(nextPosition({ epoch: 2 }, { phase: 0, inPhase: 11, epoch: 7 }, limits).inPhase).toBe(12);
    expect(nextPosition({ epoch: 2 }, { phase: 0, inPhase: 12, epoch: 8 }, limits).inPhase).toBe(20);
  });
});

describeEachBackend("rounds", () => {
  const trainedTeacher = async () => {
    const model = mf(32, 2);
    const trained = await fit({ model, split, seed: 1, batchSize: 256, patience: 3, maxEpochs: 20 });
    if (E.isLeft(trained)) throw new Error(trained.left.message);
    return frozenMatrixFactorization(model);
  };

  it("runs every round and the fine-tuning phase though each stalls, and fine-tunes a part only", async () => {
    const teacher = await trainedTeacher();
    const strategy: Strategy = {
      kind: "one-way",
      loss: { kind: "soft-label", candidates: 20, temperature: 0.5 },
      rounds: 3,
      epochsPerRound: 8,
      finetune: { epochs: 4, train: ["users"] },
    };
    const student = mf(4, 3);
    const records: Array<EpochRecord & { users: Float32Array; items: Float32Array }> = [];
    const result = await fit({
      model: student,
      split,
      strategy,
      teacher,
      seed: 1,
      batchSize: 256,
      patience: 2,
      onEpoch: (r) => records.push({ ...r, users: student.userFactors.slice(), items: student.itemFactors.slice() }),
    });
    if (E.isLeft(result)) throw new Error(result.left.message);
    expect(new Set(records.filter((r) => r.phase === "distill").map((r) => r.round))).toEqual(new Set([0, 1, 2]));
    const finetune = records.filter((r) => r.phase === "finetune");
    expect(finetune.length).toBeGreaterThanOrEqual(2); // at least `patience` epochs
    for (let k = 1; k < finetune.length; k++) {
      expect(finetune[k]!.items).toEqual(finetune[k - 1]!.items); // the item table is frozen
      expect(finetune[k]!.users).not.toEqual(finetune[k - 1]!.users);
    }
    const refused = await fit({
      model: mf(4, 3),
      split,
      strategy: { ...strategy, finetune: { epochs: 2, train: ["user"] } },
      teacher,
      seed: 1,
    });
    expect(E.isLeft(refused) && `${refused.left.location}: ${refused.left.message}`).toBe(
      'strategy.finetune.train: "user": not a part of this model (parts: users, items)',
    );
    teacher.dispose();
  });

  it("follows α across rounds, and draws a loss's targets afresh each round", async () => {
    const teacher = await trainedTeacher();
    const targets = await teacherTopK(teacher, split.train, 30);
    const strategy: Strategy = {
      kind: "one-way",
      loss: { kind: "ranking", topK: 5, pool: 30 },
      alpha: { from: 0.8, to: 0.2 },
      rounds: 4,
      epochsPerRound: 3,
    };
    const phases = strategyPhases(strategy, { numItems: 150, targets });
    if (E.isLeft(phases)) throw new Error(phases.left.message);
    const { plan } = phases.right[0]!;
    expect(describeMixture(plan.terms, { epoch: 0, round: 0 })).toBe("0.2·bpr + 0.8·ranking-distillation");
    expect(describeMixture(plan.terms, { epoch: 0, round: 3 })).toBe("0.8·bpr + 0.2·ranking-distillation");

    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const batch = pairwiseBatches(split.train, sampler.right, 64, seededRandom(1)).next().value!;
    const teacherItems = (round: number) => {
      plan.beforeRound!(round, seededRandom(9).split(`round-${round}`));
      const lists = plan.lists(batch, seededRandom(2));
      return Array.from({ length: 64 }, (_, row) => Array.from(lists.items.subarray(row * 7 + 2, row * 7 + 7)));
    };
    const [first, second, again] = [teacherItems(0), teacherItems(1), teacherItems(0)];
    expect(second).not.toEqual(first);
    expect(again).toEqual(first); // a round's draws follow from its seed
    first.forEach((items, row) => {
      const top = Array.from(targets.items.subarray(batch.users[row]! * 30, batch.users[row]! * 30 + 30));
      const ranks = items.map((item) => top.indexOf(item));
      expect(ranks.every((r) => r >= 0)).toBe(true); // from the teacher's top 30
      expect([...ranks].sort((a, b) => a - b)).toEqual(ranks); // in the teacher's order
      expect(new Set(items).size).toBe(5);
    });

    // A run killed inside a round resumes with the same draws as the uninterrupted one.
    const options = { split, strategy, teacher, targets, seed: 4, batchSize: 256, patience: 10 };
    const full = await fit({ model: mf(4, 3), ...options });
    if (E.isLeft(full)) throw new Error(full.left.message);
    const store = killableStore<FitCheckpoint<unknown, unknown>>();
    const killedAfter = store.killingAt;
    await expect(fit({ model: mf(4, 3), ...options, checkpoints: killedAfter(4) })).rejects.toThrow("killed");
    const resumed = await fit({ model: mf(4, 3), ...options, checkpoints: killedAfter(-1) });
    if (E.isLeft(resumed)) throw new Error(resumed.left.message);
    expect(resumed.right.history.map((r) => r.loss)).toEqual(full.right.history.map((r) => r.loss));
    teacher.dispose();
  });
}, ["tensorflow"]);
