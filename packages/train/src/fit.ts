/**
 * The one training loop. Every model and strategy runs through it: per epoch, a gradient model
 * takes its strategy's plan over the epoch's batches (a closed-form model takes one closed-form
 * epoch), then the model is evaluated on the validation split (full ranking, NDCG@10); early
 * stopping ends each round (a phase without rounds is one), fine-tuning starts from the best
 * weights, and the best epoch's weights are kept. A checkpoint after every epoch, stamped with
 * the spec's fingerprint, lets an interrupted run resume to the same result.
 * @module
 */
import { type KdrecError, kdrecError, seededRandom } from "@kdrec/core";
import { itemPopularity, numItems, pairwiseBatches, type Split, uniformNegatives, userItemSets } from "@kdrec/data";
import { mixtureSettings } from "@kdrec/losses";
import { evaluateFullRanking, type MetricSummary } from "@kdrec/metrics";
import {
  type ClosedFormModel,
  isClosedForm,
  type PhaseName,
  type Scorer,
  type Teacher,
  type TeacherTargets,
  type TrainableModel,
  type TrainingThreads,
  unknownPartsProblem,
} from "@kdrec/model-kit";
import { type BoundPlan, type Strategy, type StrategyPhase, strategyPhases } from "@kdrec/strategies";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { type BestEpoch, keepBest, nextPosition, noBestEpoch } from "./early_stopping.js";

/**
 * Where training stands after an epoch: enough to resume it to the same result.
 * @category Training
 */
export interface FitCheckpoint<W, S> {
  /** The phase, the epoch within it and the overall epoch that run next. */
  readonly next: { readonly phase: number; readonly inPhase: number; readonly epoch: number };
  /** True when training is over (a resumed run then only restores the best weights). */
  readonly done: boolean;
  /** The fingerprint of the spec that wrote it (see {@link FitOptions.fingerprint}). */
  readonly fingerprint?: string;
  readonly best: BestEpoch<W>;
  readonly history: ReadonlyArray<EpochRecord>;
  readonly trainSeconds: number;
  readonly model: S;
  /** Two-way: the peer's training state and best epoch. */
  readonly peer?: { readonly model: unknown; readonly best: BestEpoch<unknown> };
  /** Each phase's plan's own trained state (distillation experts), by phase; null: none. */
  readonly plans?: ReadonlyArray<unknown>;
}

/**
 * Saves checkpoints and finds the last one (files for the CLI; anything for other hosts).
 * @category Training
 */
export interface CheckpointStore<W, S> {
  load(): Promise<FitCheckpoint<W, S> | undefined>;
  save(checkpoint: FitCheckpoint<W, S>): Promise<void>;
}

/**
 * One epoch's record (also what the CLI writes as a JSON line).
 * @category Training
 */
export interface EpochRecord {
  readonly phase: PhaseName;
  readonly epoch: number;
  readonly round: number;
  /** The epoch's mean batch loss (NaN for a closed-form epoch that computes none). */
  readonly loss: number;
  readonly validNdcg10: number;
  readonly validHr10: number;
  /** Two-way: the peer's (teacher's) validation NDCG@10 after the epoch. */
  readonly peerValidNdcg10?: number;
  /** Each loss term's unweighted mean over the epoch (`bpr`, `soft-label-ce`), gradient epochs only. */
  readonly terms?: Readonly<Record<string, number>>;
  /** The terms' weights and scheduled settings during the epoch (`weight/soft-label-ce` is α, `soft-label-ce/temperature` is T). */
  readonly settings?: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly tensors: number;
}

/**
 * Options of {@link fit}.
 * @category Training
 */
export interface FitOptions<W, S = unknown> {
  readonly model: TrainableModel<W, S> | ClosedFormModel<W, S>;
  readonly split: Split;
  /** Default `none` (the task loss alone). */
  readonly strategy?: Strategy;
  readonly teacher?: Teacher;
  /** Two-way: the teacher as a trainable model (it learns too; its best epoch is kept). */
  readonly peer?: TrainableModel;
  readonly targets?: TeacherTargets;
  readonly seed: number;
  /** Default 1,024. */
  readonly batchSize?: number;
  /** Epochs without a better validation NDCG@10 before a phase stops; default 20. */
  readonly patience?: number;
  /** Epochs of a strategy without distillation; default 200. */
  readonly maxEpochs?: number;
  /** A closed-form model's schedule (ALS: its sweeps); default `train` for `maxEpochs`. */
  readonly schedule?: { readonly phase: PhaseName; readonly epochs: number };
  /** Called after every epoch. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Called after every batch with the epoch's progress. */
  readonly onBatch?: (done: number, total: number, epoch: number) => void;
  /** Saves a checkpoint after every epoch, and resumes from the last one it holds. */
  readonly checkpoints?: CheckpointStore<W, S>;
  /**
   * What the model's spec is (`core`'s `fingerprint` of it): stored in every checkpoint; a
   * checkpoint with another fingerprint is refused, not resumed.
   */
  readonly fingerprint?: { readonly value: string; readonly location: string };
  /** Stops training before the next epoch (the last checkpoint stands). */
  readonly signal?: AbortSignal;
  /**
   * Threads to train on (a `KernelPool` of `@kdrec/students/node`): epochs whose plan offers a
   * whole-epoch path — the task loss alone (no distillation, fine-tuning), soft-label distillation
   * from a teacher's score table — run whole on a model that can (MF with Adam: one kernel call, on
   * every thread — Hogwild, not reproducible run to run with more than one). Absent: step by step.
   */
  readonly threads?: TrainingThreads;
}

/**
 * The outcome: the best epoch and its validation metrics (the model holds its weights).
 * @category Training
 */
export interface FitResult {
  readonly bestEpoch: number;
  readonly valid: Readonly<Record<string, MetricSummary>>;
  readonly epochs: number;
  readonly trainSeconds: number;
  readonly history: ReadonlyArray<EpochRecord>;
  /** Two-way: the peer's best epoch and validation metrics (the peer holds its best weights). */
  readonly peer?: { readonly bestEpoch: number; readonly valid: Readonly<Record<string, MetricSummary>> };
}

/** A phase as the loop runs it: its length, round length, and how it trains an epoch. */
interface RunPhase {
  readonly name: PhaseName;
  readonly epochs: number;
  readonly roundLength: number;
  /** The only parts of the model it trains. */
  readonly train?: ReadonlyArray<string>;
  readonly epoch: (epoch: number, round: number) => Promise<number>;
  /** The loss terms' means over the epoch just trained, and their weights and settings at it. */
  readonly terms?: (epoch: number, round: number) => Pick<EpochRecord, "terms" | "settings">;
  /** Refreshes the plan's draws from the teacher for `round`. */
  readonly beforeRound?: (round: number) => void;
  /** The bound plan's own trained state and its disposal. */
  readonly bound?: Pick<BoundPlan, "state" | "dispose">;
}

/**
 * Trains `model` under `strategy` with early stopping and keeps its best epoch. Fails when the
 * strategy cannot run with these models (a distillation without a teacher, say) or when tensors
 * leak across epochs.
 * @example
 * ```ts
 * const result = await fit({ model: student, split, strategy: oneWay(softLabel()), teacher, seed: 1 });
 * ```
 * @category Training
 */
export const fit = async <W, S>(options: FitOptions<W, S>): Promise<E.Either<KdrecError, FitResult>> => {
  const { model, split, peer } = options;
  const phases = runPhases(options);
  if (E.isLeft(phases)) return phases;
  try {
    const patience = options.patience ?? 20;
    const tensorsAtStart = tf.memory().numTensors;
    const resumed = await options.checkpoints?.load();
    const expected = options.fingerprint;
    if (resumed !== undefined && expected !== undefined && resumed.fingerprint !== expected.value)
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          `its checkpoint was written by another spec (fingerprint ${resumed.fingerprint ?? "none"}, now ${expected.value}): run without --resume, or into another folder`,
          expected.location,
        ),
      );
    if (resumed !== undefined) model.restoreTrainingState(resumed.model);
    if (resumed?.peer !== undefined) peer?.restoreTrainingState(resumed.peer.model);
    resumed?.plans?.forEach((state, k) => {
      if (state !== null) phases.right[k]?.bound?.state?.load(state);
    });
    let peerBest = resumed?.peer?.best;
    if (peer !== undefined && peerBest === undefined) {
      // The teacher as it came in is a candidate too (epoch -1): two-way training replaces it only
      // with a state that validates better.
      const before = await validate(peer, split);
      if (E.isLeft(before)) return before;
      peerBest = keepBest(noBestEpoch(undefined), -1, before.right, () => peer.snapshot());
    }
    const history: EpochRecord[] = [...(resumed?.history ?? [])];
    let best: BestEpoch<W> = resumed?.best ?? noBestEpoch(model.snapshot());
    let position = resumed?.next ?? { phase: 0, inPhase: 0, epoch: 0 };
    let trainSeconds = resumed?.trainSeconds ?? 0;
    const gradientModel = isClosedForm(model) ? undefined : model;
    let roundReady = ""; // the phase and round whose draws are current

    while (position.phase < phases.right.length && resumed?.done !== true) {
      if (options.signal?.aborted === true)
        return E.left(kdrecError("ABORTED", "training was aborted", `epoch ${position.epoch}`));
      const phase = phases.right[position.phase]!;
      const { epoch, inPhase } = position;
      const started = performance.now();
      const round = Math.floor(inPhase / phase.roundLength);
      if (roundReady !== `${position.phase}:${round}`) {
        // A round's draws depend on the seed and the round alone, so a resumed run redraws them.
        phase.beforeRound?.(round);
        roundReady = `${position.phase}:${round}`;
      }
      // Fine-tuning starts from the best model so far, not from wherever distillation stopped.
      if (phase.name === "finetune" && inPhase === 0 && best.epoch >= 0) model.restore(best.weights);
      gradientModel?.trainOnly?.(phase.train);
      const loss = await phase.epoch(epoch, round);
      trainSeconds += (performance.now() - started) / 1000;
      // A gradient model's loss is a number every epoch: NaN or ±∞ means the weights are gone, and
      // everything after (validation, checkpoints, students taught by it) would be garbage.
      if (gradientModel !== undefined && !Number.isFinite(loss))
        return E.left(
          kdrecError(
            "DIVERGED",
            `the training loss became ${loss} (lower the learning rate or initStd, or check the data)`,
            `epoch ${epoch}`,
          ),
        );

      const report = await validate(model, split);
      if (E.isLeft(report)) return report;
      let peerNdcg: number | undefined;
      if (peer !== undefined && peerBest !== undefined) {
        const peerReport = await validate(peer, split);
        if (E.isLeft(peerReport)) return peerReport;
        peerNdcg = peerReport.right["ndcg@10"]!.mean;
        peerBest = keepBest(peerBest, epoch, peerReport.right, () => peer.snapshot());
      }
      const record: EpochRecord = {
        phase: phase.name,
        epoch,
        round,
        loss,
        validNdcg10: report.right["ndcg@10"]!.mean,
        validHr10: report.right["hr@10"]!.mean,
        ...(peerNdcg === undefined ? {} : { peerValidNdcg10: peerNdcg }),
        ...phase.terms?.(epoch, round),
        seconds: (performance.now() - started) / 1000,
        tensors: tf.memory().numTensors,
      };
      history.push(record);
      options.onEpoch?.(record);
      if (record.tensors > tensorsAtStart)
        return E.left(
          kdrecError(
            "TENSOR_LEAK",
            `${record.tensors - tensorsAtStart} tensor(s) more than before training`,
            `epoch ${epoch}`,
          ),
        );
      best = keepBest(best, epoch, report.right, () => model.snapshot());
      position = nextPosition(best, position, { patience, epochs: phase.epochs, roundLength: phase.roundLength });
      await options.checkpoints?.save({
        ...(expected === undefined ? {} : { fingerprint: expected.value }),
        next: position,
        done: position.phase >= phases.right.length,
        best,
        history,
        trainSeconds,
        model: model.trainingState(),
        ...(peer === undefined || peerBest === undefined
          ? {}
          : { peer: { model: peer.trainingState(), best: peerBest } }),
        ...(phases.right.some((p) => p.bound?.state !== undefined)
          ? { plans: phases.right.map((p) => p.bound?.state?.save() ?? null) }
          : {}),
      });
    }
    gradientModel?.trainOnly?.(undefined);
    model.restore(best.weights);
    if (peer !== undefined && peerBest !== undefined) peer.restore(peerBest.weights);
    return E.right({
      bestEpoch: best.epoch,
      valid: best.valid,
      epochs: position.epoch,
      trainSeconds,
      history,
      ...(peerBest === undefined ? {} : { peer: { bestEpoch: peerBest.epoch, valid: peerBest.valid } }),
    });
  } finally {
    // The plans' own parameters (distillation experts) live only as long as the training.
    for (const phase of phases.right) phase.bound?.dispose?.();
  }
};

/**
 * The phases to run: a closed-form model's schedule, or the strategy's phases with their plans
 * bound to the models (which is where a strategy's needs are checked, before any epoch).
 */
const runPhases = <W, S>(options: FitOptions<W, S>): E.Either<KdrecError, RunPhase[]> => {
  const { model, split } = options;
  if (isClosedForm(model)) {
    const { phase, epochs } = options.schedule ?? { phase: "train" as const, epochs: options.maxEpochs ?? 200 };
    return E.right([{ name: phase, epochs, roundLength: epochs, epoch: async () => model.closedFormEpoch() }]);
  }
  const phases = strategyPhases(options.strategy ?? { kind: "none" }, {
    numItems: numItems(split.train),
    itemCounts: itemPopularity(split.train.items, numItems(split.train)),
    ...(options.targets === undefined ? {} : { targets: options.targets }),
    ...(options.maxEpochs === undefined ? {} : { maxEpochs: options.maxEpochs }),
  });
  if (E.isLeft(phases)) return phases;
  const sampler = uniformNegatives(userItemSets(split.train));
  if (E.isLeft(sampler)) return sampler;
  // A model or a teacher that reads histories wants each user's rows together.
  const byUser = model.batchOrder === "by-user" || options.teacher?.batchOrder === "by-user";
  const rng = seededRandom(options.seed);
  const batchSize = options.batchSize ?? 1024;
  const parties = {
    model,
    train: split.train,
    seed: options.seed,
    ...(options.teacher === undefined ? {} : { teacher: options.teacher }),
    ...(options.peer === undefined ? {} : { peer: options.peer }),
  };
  const run: RunPhase[] = [];
  // A phase that cannot run frees what the phases bound before it hold.
  const refuse = (error: E.Left<KdrecError>) => {
    for (const phase of run) phase.bound?.dispose?.();
    return error;
  };
  for (const phase of phases.right) {
    const bound = phase.plan.bind(parties);
    if (E.isLeft(bound)) return refuse(bound);
    const parts = checkParts(model, phase.train);
    if (E.isLeft(parts)) {
      bound.right.dispose?.();
      return refuse(parts);
    }
    const { beforeRound } = phase.plan;
    run.push({
      ...phase,
      bound: bound.right,
      epoch: gradientEpoch(phase, bound.right, options, { rng, sampler: sampler.right, byUser, batchSize }),
      terms: (epoch, round) => ({
        terms: bound.right.termLosses?.() ?? {},
        settings: mixtureSettings(phase.plan.terms, { epoch, round }),
      }),
      ...(beforeRound === undefined
        ? {}
        : { beforeRound: (round: number) => beforeRound(round, rng.split(`${phase.name}-round-${round}`)) }),
    });
  }
  return E.right(run);
};

/** Fails unless the model can train exactly `parts` on their own. */
const checkParts = (model: TrainableModel, parts: ReadonlyArray<string> | undefined): E.Either<KdrecError, void> => {
  const known = model.trainOnly === undefined ? [] : (model.trainableParts ?? []);
  const problem = parts === undefined ? undefined : unknownPartsProblem(parts, known, "this model");
  return problem === undefined
    ? E.right(undefined)
    : E.left(kdrecError("INVALID_ARGUMENT", problem, "strategy.finetune.train"));
};

/** A gradient epoch: the epoch's batches as the phase's lists, each a step of the bound plan. */
const gradientEpoch =
  <W, S>(
    phase: StrategyPhase,
    bound: BoundPlan,
    options: FitOptions<W, S>,
    draw: {
      readonly rng: ReturnType<typeof seededRandom>;
      readonly sampler: Parameters<typeof pairwiseBatches>[1];
      readonly byUser: boolean;
      readonly batchSize: number;
    },
  ) =>
  async (epoch: number, round: number): Promise<number> => {
    // Every epoch's randomness is derived from the seed and the epoch's number alone, so a
    // resumed run draws exactly what the uninterrupted one would have.
    const epochRng = draw.rng.split(`epoch-${epoch}`);
    const listRng = epochRng.split("lists");
    const batches = [
      ...pairwiseBatches(options.split.train, draw.sampler, draw.batchSize, epochRng, { byUser: draw.byUser }),
    ];
    await bound.beforeEpoch?.();
    if (options.threads !== undefined && bound.epoch !== undefined) {
      const loss = bound.epoch(batches, options.threads, {
        lists: (batch) => phase.plan.lists(batch, listRng),
        progress: { epoch, round },
      });
      options.onBatch?.(batches.length, batches.length, epoch);
      return loss;
    }
    let lossSum = 0;
    batches.forEach((batch, b) => {
      lossSum += bound.step(phase.plan.lists(batch, listRng), { epoch, round });
      options.onBatch?.(b + 1, batches.length, epoch);
    });
    return lossSum / batches.length;
  };

/** Full-ranking validation metrics of a model's current weights. */
const validate = async (
  model: { allItemScorer(): Scorer },
  split: Split,
): Promise<E.Either<KdrecError, Record<string, MetricSummary>>> => {
  const scorer = model.allItemScorer();
  const report = await evaluateFullRanking(scorer.score, {
    heldOut: split.valid,
    exclude: [split.train],
    ...(split.candidates === undefined ? {} : { candidates: split.candidates.valid }),
  });
  scorer.dispose();
  return E.map((r: { summary: Record<string, MetricSummary> }) => r.summary)(report);
};
