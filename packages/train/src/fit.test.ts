import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import type { Teacher, TeacherTargets } from "@kdrec/model-kit";
import {
  type DistillationLoss,
  listwiseRankingDistillation,
  mseDistillation,
  oneWay,
  rankingDistillationLoss,
  type Strategy,
  softLabel,
  withTemperature,
} from "@kdrec/strategies";
import { type KernelPool, MatrixFactorization } from "@kdrec/students";
import { startKernelPool } from "@kdrec/students/node";
import { frozenMatrixFactorization, teacherTopK } from "@kdrec/teachers";
import { describeEachBackend, killableStore } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import { expect, it, vi } from "vitest";
import { type EpochRecord, type FitCheckpoint, type FitOptions, fit } from "./fit.js";

const split = leaveLastOut(syntheticDataset({ seed: 8, users: 120, items: 150 }).interactions);
const mf = (dim: number, seed: number) =>
  MatrixFactorization.create({ users: 120, items: 150, dim, seed, optimizer: { kind: "adam", learningRate: 0.01 } });

/** `fit`, each epoch recorded; a refusal fails the test. */
const fitRecorded = async <W, S>(options: FitOptions<W, S>) => {
  const records: EpochRecord[] = [];
  const result = await fit({ ...options, onEpoch: (r) => records.push(r) });
  if (E.isLeft(result)) throw new Error(result.left.message);
  return { result: result.right, records };
};

/** A model trained without a teacher (BPR alone) on the split, each epoch recorded. */
const trainAlone = async (
  model: MatrixFactorization,
  options: { readonly patience: number; readonly maxEpochs: number; readonly threads?: KernelPool },
) => ({
  model,
  ...(await fitRecorded({ model, split, strategy: { kind: "none" }, seed: 3, batchSize: 256, ...options })),
});

/** An MF-32 trained 10 epochs without a teacher, frozen: the teacher of the distillation tests. */
const trainedTeacher = async () => {
  const model = mf(32, 2);
  await fit({ model, split, seed: 1, batchSize: 256, maxEpochs: 10 });
  return frozenMatrixFactorization(model);
};

/**
 * An MF-8 distilled under `strategy` step by step, and with threads (one: whole epochs,
 * deterministic): each run's model, epoch records and list-kernel epochs.
 */
const stepwiseAndWhole = async (strategy: Strategy, teacher: Teacher, targets?: TeacherTargets) => {
  const run = async (threads?: KernelPool) => {
    const model = mf(8, 3);
    const listEpochs = vi.spyOn(model, "trainListEpoch");
    const { records } = await fitRecorded({
      model,
      split,
      strategy,
      teacher,
      seed: 1,
      batchSize: 256,
      ...(targets === undefined ? {} : { targets }),
      ...(threads === undefined ? {} : { threads }),
    });
    return { model, records, listEpochs: listEpochs.mock.calls.length };
  };
  const one = await startKernelPool({ threads: 1 });
  const runs = [await run(), await run(one)] as const;
  await one.close();
  return runs;
};

/** Two runs took the same steps: each epoch's loss and terms to four decimals, the item table to 1e-4. */
const expectSameSteps = (
  a: { readonly model: MatrixFactorization; readonly records: ReadonlyArray<EpochRecord> },
  b: { readonly model: MatrixFactorization; readonly records: ReadonlyArray<EpochRecord> },
) => {
  for (const [x, y] of a.records.map((r, k) => [r, b.records[k]!] as const)) {
    expect(x.loss).toBeCloseTo(y.loss, 4);
    expect(Object.keys(x.terms ?? {}).sort()).toEqual(Object.keys(y.terms ?? {}).sort());
    for (const [name, value] of Object.entries(y.terms ?? {})) expect(x.terms![name]).toBeCloseTo(value, 4);
  }
  const gap = a.model.itemFactors.reduce((m, x, k) => Math.max(m, Math.abs(x - b.model.itemFactors[k]!)), 0);
  expect(gap).toBeLessThan(1e-4);
};

describeEachBackend("fit", () => {
  it("trains without a teacher, stops early, keeps the best epoch and is deterministic", async () => {
    const run = () => trainAlone(mf(8, 1), { patience: 3, maxEpochs: 40 });
    const a = await run();
    const b = await run();
    expect(a.result.epochs).toBeLessThan(40); // stopped early
    expect(a.result.epochs - 1 - a.result.bestEpoch).toBe(3);
    expect(a.result.valid["ndcg@10"]!.mean).toBe(Math.max(...a.records.map((r) => r.validNdcg10)));
    expect(b.model.userFactors).toEqual(a.model.userFactors); // restored best weights, same both times
    expect(new Set(a.records.map((r) => r.tensors)).size).toBe(1);
  });

  it("with threads, trains epochs of the task loss whole: one thread takes the step-by-step path's steps", async () => {
    const run = async (threads?: KernelPool) => {
      const model = mf(8, 1);
      const wholeEpochs = vi.spyOn(model, "trainPairwiseEpoch");
      const trained = await trainAlone(model, {
        maxEpochs: 6,
        patience: 6,
        ...(threads === undefined ? {} : { threads }),
      });
      return { ...trained, wholeEpochs: wholeEpochs.mock.calls.length };
    };
    const one = await startKernelPool({ threads: 1 });
    const [stepwise, whole] = [await run(), await run(one)];
    await one.close();
    // Same losses (the epoch's BPR, reported as its term too) and weights, up to float rounding.
    expect(whole.records.map((r) => r.loss)).toEqual(stepwise.records.map((r) => expect.closeTo(r.loss, 5)));
    expect(whole.records.map((r) => r.terms?.bpr)).toEqual(stepwise.records.map((r) => expect.closeTo(r.loss, 5)));
    const gap = whole.model.userFactors.reduce(
      (m, x, k) => Math.max(m, Math.abs(x - stepwise.model.userFactors[k]!)),
      0,
    );
    expect(gap).toBeLessThan(1e-4);
    expect([stepwise.wholeEpochs, whole.wholeEpochs]).toEqual([0, 6]); // without threads, never
  });

  it("stops with a DIVERGED error when the loss stops being a number, and saves no checkpoint of it", async () => {
    const model = mf(8, 1);
    model.userFactors.fill(Number.POSITIVE_INFINITY); // what an absurd initialisation leaves
    const store = killableStore<FitCheckpoint<unknown, unknown>>();
    const result = await fit({ model, split, seed: 3, batchSize: 256, maxEpochs: 5, checkpoints: store.killingAt(-1) });
    expect(E.isLeft(result) && result.left).toMatchObject({
      code: "DIVERGED",
      location: "epoch 0",
      message: expect.stringMatching(/^the training loss became NaN \(lower the learning rate or initStd/),
    });
    expect(store.last()).toBeUndefined();
  });

  it("resumes an interrupted run to the same result", async () => {
    const uninterrupted = mf(8, 1);
    const options = { split, strategy: { kind: "none" } as const, seed: 3, batchSize: 256, patience: 3, maxEpochs: 12 };
    const full = await fit({ model: uninterrupted, ...options });
    if (E.isLeft(full)) throw new Error(full.left.message);

    const store = killableStore<FitCheckpoint<unknown, unknown>>();
    const killedAfter = store.killingAt;
    await expect(fit({ model: mf(8, 1), ...options, checkpoints: killedAfter(4) })).rejects.toThrow("killed");
    expect(store.last()?.next.epoch).toBe(4);
    const resumedModel = mf(8, 99); // a fresh model: everything comes from the checkpoint
    const resumed = await fit({ model: resumedModel, ...options, checkpoints: killedAfter(-1) });
    if (E.isLeft(resumed)) throw new Error(resumed.left.message);
    expect(resumed.right.bestEpoch).toBe(full.right.bestEpoch);
    expect(resumed.right.history.map((r) => r.validNdcg10)).toEqual(full.right.history.map((r) => r.validNdcg10));
    expect(resumedModel.userFactors).toEqual(uninterrupted.userFactors);
  });

  it("distils one way through the same loop and refuses a distillation without a teacher", async () => {
    const teacherModel = mf(32, 2);
    const trained = await fit({
      model: teacherModel,
      split,
      strategy: { kind: "none" },
      seed: 1,
      batchSize: 256,
      patience: 3,
      maxEpochs: 30,
    });
    expect(E.isRight(trained)).toBe(true);
    const teacher = frozenMatrixFactorization(teacherModel);
    const strategy = pipe(oneWay(softLabel(20)), withTemperature(0.5), (s) => ({
      ...s,
      rounds: 2,
      epochsPerRound: 4,
      finetune: { epochs: 2 },
    }));
    const { records } = await fitRecorded({ model: mf(4, 3), split, strategy, teacher, seed: 1, batchSize: 256 });
    expect(records.map((r) => r.phase)).toEqual([...Array(8).fill("distill"), "finetune", "finetune"]);
    expect(records.map((r) => r.round).slice(0, 8)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // Each epoch reports its terms' means and what α and T were; fine-tuning has the task term alone.
    const first = records[0]!;
    expect(Object.keys(first.terms ?? {}).sort()).toEqual(["bpr", "soft-label-ce"]);
    expect(Object.values(first.terms!).every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(first.loss).toBeCloseTo(0.2 * first.terms!.bpr! + 0.8 * first.terms!["soft-label-ce"]!, 4);
    expect(first.settings).toEqual({
      "weight/bpr": expect.closeTo(0.2, 9),
      "weight/soft-label-ce": 0.8,
      "soft-label-ce/temperature": 0.5,
    });
    expect(Object.keys(records[8]!.terms ?? {})).toEqual(["bpr"]);
    teacher.dispose();

    const refused = await fit({ model: mf(4, 3), split, strategy, seed: 1 });
    expect(E.isLeft(refused) && refused.left.message).toBe("a one-way strategy needs a teacher");
  });

  it("with threads, trains soft-label distillation epochs whole, α and T on their schedules: one thread takes the step-by-step path's steps", async () => {
    const teacher = await trainedTeacher();
    const strategy = pipe(oneWay(softLabel(20)), (s) => ({
      ...s,
      alpha: { from: 0.9, to: 0.3 },
      loss: { ...s.loss, temperature: { from: 1, to: 0.25 } },
      rounds: 3,
      epochsPerRound: 2,
      finetune: { epochs: 2 },
    }));
    const [stepwise, whole] = await stepwiseAndWhole(strategy, teacher);
    teacher.dispose();
    expect([stepwise.listEpochs, whole.listEpochs]).toEqual([0, 6]); // the six distillation epochs
    expect(whole.records.map((r) => r.settings)).toEqual(stepwise.records.map((r) => r.settings));
    expect(new Set(whole.records.map((r) => r.settings?.["soft-label-ce/temperature"])).size).toBe(4); // 3 rounds + fine-tune's none
    expectSameSteps(whole, stepwise);
  });

  it.each<[string, DistillationLoss]>([
    ["MSE", mseDistillation(10)],
    ["ranking distillation", rankingDistillationLoss(5, 3)],
    ["listwise ranking distillation (Plackett–Luce)", listwiseRankingDistillation(5, 10)],
    ["UnKD", { kind: "unkd", groups: 3, perGroup: 6 }],
  ])(
    "with threads, trains %s epochs whole in the list kernel: one thread takes the step-by-step path's steps",
    async (_, loss) => {
      const teacher = await trainedTeacher();
      const strategy = { ...oneWay(loss), alpha: 0.5, rounds: 1, epochsPerRound: 3, finetune: { epochs: 0 } };
      const [stepwise, whole] = await stepwiseAndWhole(strategy, teacher, await teacherTopK(teacher, split.train, 5));
      teacher.dispose();
      expect([stepwise.listEpochs, whole.listEpochs]).toEqual([0, 3]);
      expectSameSteps(whole, stepwise);
    },
  );
}, ["tensorflow"]);
