/**
 * The one training loop. Every strategy runs through it: per batch, the strategy's plan says
 * which item lists to score and which loss mixture to minimise; per epoch, the student is
 * evaluated on the validation split (full ranking, NDCG@10) and the best weights are kept.
 * @module
 */
import { type KdrecError, kdrecError, type Random, seededRandom } from "@kdrec/core";
import { numItems, pairwiseBatches, type Split, uniformNegatives, userItemSets } from "@kdrec/data";
import { mixtureLoss } from "@kdrec/losses";
import { evaluateFullRanking, type MetricSummary } from "@kdrec/metrics";
import { type AlignedFeature, type BatchPlan, batchPlan, type Phase, type Strategy } from "@kdrec/strategies";
import { hasFeatures, type Teacher, type TeacherTargets } from "@kdrec/teachers";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { rankDiscrepancySampler } from "./rank_discrepancy.js";

/**
 * What the trainer needs of a model: a step on item lists, a scorer for evaluation, and weight
 * snapshots for keeping the best epoch.
 * @category Training
 */
export interface TrainableModel<W, S = unknown> {
  readonly parameterCount: number;
  /** `by-user`: batches hold each user's rows together (sequence models); default shuffled rows. */
  readonly batchOrder?: "shuffled" | "by-user";
  trainStep(
    batch: { users: Int32Array; items: Int32Array; width: number; rows?: Int32Array },
    loss: (scores: tf.Tensor2D) => tf.Scalar,
  ): number;
  allItemScorer(): { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void };
  snapshot(): W;
  restore(weights: W): void;
  /** Scores `[B, width]` of item lists without training (needed of both sides of two-way training). */
  scoreLists?(batch: { users: Int32Array; items: Int32Array; width: number; rows?: Int32Array }): tf.Tensor2D;
  /** Weights and optimizer state, for checkpoints. */
  trainingState(): S;
  restoreTrainingState(state: S): void;
}

/**
 * A model whose training step can also hand its features (with their learned projections) to the
 * loss — what feature alignment needs of a student.
 * @category Training
 */
export interface FeatureTrainableModel {
  trainStepWithFeatures(
    batch: { users: Int32Array; items: Int32Array; width: number; rows?: Int32Array },
    loss: (scores: tf.Tensor2D, features: ReadonlyArray<AlignedFeature>) => tf.Scalar,
  ): number;
}

const hasFeatureStep = (model: object): model is FeatureTrainableModel =>
  typeof (model as Partial<FeatureTrainableModel>).trainStepWithFeatures === "function";

/**
 * Where training stands after an epoch: enough to resume it to the same result.
 * @category Training
 */
export interface FitCheckpoint<W, S> {
  /** The phase, the epoch within it and the overall epoch that run next. */
  readonly next: { readonly phase: number; readonly inPhase: number; readonly epoch: number };
  /** True when training is over (a resumed run then only restores the best weights). */
  readonly done: boolean;
  readonly best: {
    readonly ndcg: number;
    readonly epoch: number;
    readonly weights: W;
    readonly valid: Record<string, MetricSummary>;
  };
  readonly history: ReadonlyArray<EpochRecord>;
  readonly trainSeconds: number;
  readonly model: S;
  /** Two-way: the peer's training state and best epoch. */
  readonly peer?: { readonly model: unknown; readonly best: PeerBest };
}

/**
 * The best epoch of a two-way peer (by its own validation NDCG@10); epoch -1 is the peer as it
 * came in, kept when no epoch of two-way training validates better.
 * @category Training
 */
export interface PeerBest {
  readonly ndcg: number;
  readonly epoch: number;
  readonly weights: unknown;
  readonly valid: Record<string, MetricSummary>;
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
  readonly phase: Phase;
  readonly epoch: number;
  readonly round: number;
  readonly loss: number;
  readonly validNdcg10: number;
  readonly validHr10: number;
  /** Two-way: the peer's (teacher's) validation NDCG@10 after the epoch. */
  readonly peerValidNdcg10?: number;
  readonly seconds: number;
  readonly tensors: number;
}

/**
 * Options of {@link fit}.
 * @category Training
 */
export interface FitOptions<W, S = unknown> {
  readonly model: TrainableModel<W, S>;
  readonly split: Split;
  readonly strategy: Strategy;
  readonly teacher?: Teacher;
  /** Two-way: the teacher as a trainable model (it learns too; its best epoch is kept). */
  readonly peer?: TrainableModel<unknown, unknown>;
  readonly targets?: TeacherTargets;
  readonly seed: number;
  /** Default 1,024. */
  readonly batchSize?: number;
  /** Epochs without a better validation NDCG@10 before a phase stops; default 20. */
  readonly patience?: number;
  /** Epochs of a strategy without distillation; default 200. */
  readonly maxEpochs?: number;
  /** Called after every epoch. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Called after every batch with the epoch's progress. */
  readonly onBatch?: (done: number, total: number, epoch: number) => void;
  /** Saves a checkpoint after every epoch, and resumes from the last one it holds. */
  readonly checkpoints?: CheckpointStore<W, S>;
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

/**
 * Trains `model` under `strategy` with early stopping and keeps its best epoch. Fails when the
 * strategy cannot run (a distillation without a teacher, say) or when tensors leak across epochs.
 * @category Training
 */
export const fit = async <W, S>(options: FitOptions<W, S>): Promise<E.Either<KdrecError, FitResult>> => {
  const { model, split, strategy, teacher, peer } = options;
  const sampler = uniformNegatives(userItemSets(split.train));
  if (E.isLeft(sampler)) return sampler;
  // Two-way rank-discrepancy sampling: re-derived from both models' rankings every epoch.
  let sampleItem: ((user: number, rng: Random) => number) | undefined;
  const context = {
    numItems: numItems(split.train),
    ...(options.targets === undefined ? {} : { targets: options.targets }),
    ...(strategy.kind === "two-way" && strategy.sampling !== "uniform"
      ? { sampleItem: (user: number, rng: Random) => sampleItem!(user, rng) }
      : {}),
  };
  const phases: Array<[Phase, number]> =
    strategy.kind === "none"
      ? [["train", options.maxEpochs ?? 200]]
      : strategy.kind === "two-way"
        ? [["distill", strategy.epochs ?? 100]]
        : [
            ["distill", (strategy.rounds ?? 5) * (strategy.epochsPerRound ?? 40)],
            ["finetune", strategy.finetuneEpochs ?? 20],
          ];
  const plans = [];
  for (const [phase] of phases) {
    const plan = batchPlan(strategy, phase, context);
    if (E.isLeft(plan)) return plan;
    plans.push(plan.right);
  }

  const unmet = unmetNeeds(options, plans);
  if (unmet !== undefined) return E.left(unmet);
  // A model or a teacher that reads histories wants each user's rows together.
  const byUser = model.batchOrder === "by-user" || (strategy.kind === "one-way" && teacher?.batchOrder === "by-user");
  const rng = seededRandom(options.seed);
  const patience = options.patience ?? 20;
  const batchSize = options.batchSize ?? 1024;
  const tensorsAtStart = tf.memory().numTensors;
  const resumed = await options.checkpoints?.load();
  if (resumed !== undefined) model.restoreTrainingState(resumed.model);
  if (resumed?.peer !== undefined) peer?.restoreTrainingState(resumed.peer.model);
  let peerBest: PeerBest | undefined = resumed?.peer?.best;
  if (peer !== undefined && peerBest === undefined) {
    // The teacher as it came in is a candidate too (epoch -1): two-way training replaces it only
    // with a state that validates better.
    const before = await validate(peer, split);
    if (E.isLeft(before)) return before;
    peerBest = { ndcg: before.right["ndcg@10"]!.mean, epoch: -1, weights: peer.snapshot(), valid: before.right };
  }
  const history: EpochRecord[] = [...(resumed?.history ?? [])];
  let best = resumed?.best ?? {
    ndcg: Number.NEGATIVE_INFINITY,
    epoch: -1,
    weights: model.snapshot(),
    valid: {} as Record<string, MetricSummary>,
  };
  let position = resumed?.next ?? { phase: 0, inPhase: 0, epoch: 0 };
  let trainSeconds = resumed?.trainSeconds ?? 0;

  while (position.phase < phases.length && resumed?.done !== true) {
    const [phase, maxEpochs] = phases[position.phase]!;
    const plan = plans[position.phase]!;
    const { epoch, inPhase } = position;
    const epochsPerRound = strategy.kind === "one-way" ? (strategy.epochsPerRound ?? 40) : maxEpochs;
    const started = performance.now();
    // Every epoch's randomness is derived from the seed and the epoch's number alone, so a
    // resumed run draws exactly what the uninterrupted one would have.
    const epochRng = rng.split(`epoch-${epoch}`);
    const listRng = epochRng.split("lists");
    const batches = [...pairwiseBatches(split.train, sampler.right, batchSize, epochRng, { byUser })];
    if (context.sampleItem !== undefined && peer !== undefined)
      sampleItem = await rankDiscrepancySampler(model, peer, split.train);
    let lossSum = 0;
    const progress = { epoch, round: Math.floor(inPhase / epochsPerRound) };
    batches.forEach((batch, b) => {
      lossSum += trainBatch(plan.lists(batch, listRng), plan, options, progress);
      options.onBatch?.(b + 1, batches.length, epoch);
    });
    trainSeconds += (performance.now() - started) / 1000;

    const report = await validate(model, split);
    if (E.isLeft(report)) return report;
    const summary = report.right;
    let peerNdcg: number | undefined;
    if (peer !== undefined && peerBest !== undefined) {
      const peerReport = await validate(peer, split);
      if (E.isLeft(peerReport)) return peerReport;
      peerNdcg = peerReport.right["ndcg@10"]!.mean;
      if (peerNdcg > peerBest.ndcg)
        peerBest = { ndcg: peerNdcg, epoch, weights: peer.snapshot(), valid: peerReport.right };
    }
    const record: EpochRecord = {
      phase,
      epoch,
      round: progress.round,
      loss: lossSum / batches.length,
      validNdcg10: summary["ndcg@10"]!.mean,
      validHr10: summary["hr@10"]!.mean,
      ...(peerNdcg === undefined ? {} : { peerValidNdcg10: peerNdcg }),
      seconds: (performance.now() - started) / 1000,
      tensors: tf.memory().numTensors,
    };
    history.push(record);
    options.onEpoch?.(record);
    if (record.tensors > tensorsAtStart) {
      return E.left(
        kdrecError(
          "TENSOR_LEAK",
          `${record.tensors - tensorsAtStart} tensor(s) more than before training`,
          `epoch ${epoch}`,
        ),
      );
    }
    if (record.validNdcg10 > best.ndcg)
      best = { ndcg: record.validNdcg10, epoch, weights: model.snapshot(), valid: summary };
    const phaseOver = epoch - best.epoch >= patience || inPhase + 1 >= maxEpochs;
    position = phaseOver
      ? { phase: position.phase + 1, inPhase: 0, epoch: epoch + 1 }
      : { phase: position.phase, inPhase: inPhase + 1, epoch: epoch + 1 };
    await options.checkpoints?.save({
      next: position,
      done: position.phase >= phases.length,
      best,
      history,
      trainSeconds,
      model: model.trainingState(),
      ...(peer === undefined || peerBest === undefined
        ? {}
        : { peer: { model: peer.trainingState(), best: peerBest } }),
    });
  }
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
};

/** Full-ranking validation metrics of a model's current weights. */
const validate = async (
  model: { allItemScorer: TrainableModel<unknown>["allItemScorer"] },
  split: Split,
): Promise<E.Either<KdrecError, Record<string, MetricSummary>>> => {
  const scorer = model.allItemScorer();
  const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
  scorer.dispose();
  return E.map((r: { summary: Record<string, MetricSummary> }) => r.summary)(report);
};

/** Why the strategy cannot run with these models (undefined when it can). */
const unmetNeeds = <W, S>(options: FitOptions<W, S>, plans: ReadonlyArray<BatchPlan>): KdrecError | undefined => {
  const { model, strategy, teacher, peer } = options;
  if (strategy.kind === "one-way" && teacher === undefined)
    return kdrecError("INVALID_ARGUMENT", "a one-way strategy needs a teacher", "fit");
  if (strategy.kind === "two-way" && (peer?.scoreLists === undefined || model.scoreLists === undefined))
    return kdrecError(
      "INVALID_ARGUMENT",
      "a two-way strategy needs the teacher as a trainable peer, and both models able to score lists (e.g. MF)",
      "fit",
    );
  if (!plans.some((p) => p.needsFeatures)) return undefined;
  if (!hasFeatureStep(model))
    return kdrecError(
      "INVALID_ARGUMENT",
      "feature alignment needs a student that exposes features (e.g. the hierarchical tower)",
      "strategy.featureAlignment",
    );
  if (teacher === undefined || !hasFeatures(teacher))
    return kdrecError(
      "INVALID_ARGUMENT",
      `feature alignment needs a teacher that exposes features (a sequential transformer); ${teacher?.name ?? "none"} does not`,
      "strategy.featureAlignment",
    );
  return undefined;
};

/**
 * One batch under a plan: the model's step on its loss mixture (with the frozen teacher's list
 * scores, both sides' features, or — two-way — the peer's step too). Returns the model's loss.
 */
const trainBatch = <W, S>(
  lists: { users: Int32Array; items: Int32Array; width: number; rows: Int32Array },
  plan: BatchPlan,
  options: FitOptions<W, S>,
  progress: { epoch: number; round: number },
): number => {
  const { model, teacher, peer } = options;
  if (plan.peerTerms !== undefined && peer !== undefined) {
    // Both sides learn from the other's predictions before this batch's updates.
    const studentScores = model.scoreLists!(lists);
    const peerScores = peer.scoreLists!(lists);
    const loss = model.trainStep(
      lists,
      (student) => mixtureLoss(plan.terms, { student, teacher: peerScores }, progress).total,
    );
    const peerTerms = plan.peerTerms;
    peer.trainStep(lists, (own) => mixtureLoss(peerTerms, { student: own, teacher: studentScores }, progress).total);
    tf.dispose([studentScores, peerScores]);
    return loss;
  }
  const teacherScores = plan.needsTeacherScores
    ? teacher!.scoreLists(lists.users, lists.items, lists.width, lists.rows)
    : undefined;
  const scored = teacherScores === undefined ? {} : { teacher: teacherScores };
  let loss: number;
  if (plan.needsFeatures && hasFeatureStep(model) && teacher !== undefined && hasFeatures(teacher)) {
    const teacherFeatures = teacher.features(lists.users);
    loss = model.trainStepWithFeatures(
      lists,
      (student, studentFeatures) =>
        mixtureLoss(plan.terms, { student, ...scored, studentFeatures, teacherFeatures }, progress).total,
    );
    tf.dispose(teacherFeatures);
  } else {
    loss = model.trainStep(lists, (student) => mixtureLoss(plan.terms, { student, ...scored }, progress).total);
  }
  teacherScores?.dispose();
  return loss;
};
