/**
 * How a strategy trains one batch. A plan makes the rows' item lists and, bound to the models it
 * trains (the student, its teacher, a two-way peer), a step: it gathers what its loss reads and
 * steps the model(s). The trainer only makes lists and calls the step; what a strategy needs is
 * checked once, when its plan is bound.
 * @module
 */
import { type KdrecError, kdrecError, type Random } from "@kdrec/core";
import type { Interactions, PairwiseBatch } from "@kdrec/data";
import {
  hasClosedForm,
  type LossTerm,
  lossTerm,
  mixtureGradient,
  mixtureLoss,
  readsTeacher,
  rowBprGradient,
  rowBprLoss,
  type Schedule,
  type TrainingProgress,
  termBaseName,
  weightAt,
  withClosedForm,
} from "@kdrec/losses";
import {
  hasFeatures,
  type RowItemLists,
  type Teacher,
  type TrainableModel,
  type TrainingThreads,
} from "@kdrec/model-kit";
import type * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { type ScoredLists, scoreArrays, scoredLists } from "./scored_lists.js";
import { type TermMeter, termMeter } from "./term_meter.js";

/**
 * The models a plan trains: the student (`model`), the frozen teacher it learns from, and — in
 * two-way training — the teacher as a peer that learns too.
 * @category Plans
 */
export interface Parties {
  readonly model: TrainableModel;
  readonly teacher?: Teacher;
  readonly peer?: TrainableModel;
  /** The training interactions (what a plan that samples from the models' rankings reads). */
  readonly train: Interactions;
  /** The run's seed (what a plan's own parameters and draws start from); default 0. */
  readonly seed?: number;
}

/**
 * One batch's training: the models' steps on the lists; returns the student's loss.
 * @category Plans
 */
export type BatchStep = (lists: RowItemLists, progress: TrainingProgress) => number;

/**
 * A plan bound to its parties: the batch step, and what to do before each epoch.
 * @category Plans
 */
export interface BoundPlan {
  readonly step: BatchStep;
  /** Before an epoch's batches (two-way: re-derive the rank-discrepancy sampler). */
  readonly beforeEpoch?: () => Promise<void>;
  /** Each loss term's mean over the epoch's batches so far, then a fresh start. */
  readonly termLosses?: () => Readonly<Record<string, number>>;
  /** The plan's own trained state (distillation experts), for checkpoints with exact resume. */
  readonly state?: { save(): unknown; load(state: unknown): void };
  /** Frees what the plan holds on the backend (called when training ends). */
  readonly dispose?: () => void;
  /**
   * A whole epoch's steps at once, where the plan and the model allow (the task loss alone on a
   * model with `trainPairwiseEpoch`; a mixture whose every term has a kernel form on one with
   * `trainListEpoch`, the teacher's scores from its score table or MF tables), on `threads` where
   * given: the steps `step` would take batch by batch, up to float rounding (or racing, on several
   * threads). Returns the mean loss.
   */
  readonly epoch?: (batches: ReadonlyArray<PairwiseBatch>, threads: TrainingThreads, context: EpochContext) => number;
}

/**
 * What a whole epoch reads besides its batches: how the plan's lists are drawn (from the epoch's
 * stream, in batch order, as step by step) and where training stands.
 * @category Plans
 */
export interface EpochContext {
  readonly lists: (batch: PairwiseBatch) => RowItemLists;
  readonly progress: TrainingProgress;
}

/**
 * A whole epoch as a model's kernel runs it: the mean loss and each term's mean (short names).
 * @category Plans
 */
export type WholeEpoch = (
  batches: ReadonlyArray<PairwiseBatch>,
  threads: TrainingThreads,
  context: EpochContext,
) => { readonly loss: number; readonly terms: Readonly<Record<string, number>> };

/**
 * `plan` with a whole-epoch path where `wholeEpoch` offers one for the parties (undefined: the
 * model or the teacher cannot): the bound plan's `epoch`, whose terms the next `termLosses` reads.
 * @category Plans
 */
export const withWholeEpoch = (
  plan: BatchPlan,
  wholeEpoch: ((parties: Parties) => WholeEpoch | undefined) | undefined,
): BatchPlan =>
  wholeEpoch === undefined
    ? plan
    : {
        ...plan,
        bind: (parties) =>
          E.map((bound: BoundPlan): BoundPlan => {
            const epoch = wholeEpoch(parties);
            if (epoch === undefined) return bound;
            let wholeTerms: Readonly<Record<string, number>> | undefined;
            return {
              ...bound,
              epoch: (batches, threads, context) => {
                const { loss, terms } = epoch(batches, threads, context);
                wholeTerms = terms;
                return loss;
              },
              // The epoch's terms when it ran whole (the meter saw no batch), else the meter's reading.
              termLosses: () => {
                const whole = wholeTerms;
                wholeTerms = undefined;
                return whole ?? bound.termLosses?.() ?? {};
              },
            };
          })(plan.bind(parties)),
      };

/**
 * The whole epochs of a mixture on a model's list kernel (`trainListEpoch`), where every term's
 * closed form describes itself to kernels and the teacher's scores, if a term reads them, come
 * from its score table or its MF tables; undefined otherwise. Each epoch runs the terms' kernel
 * parts with their weights at that point of training, and reports each term as its closed form
 * would (the sum of its parts' means, by scale; terms of weight 0 left out, as by
 * mixtureGradient).
 * @category Plans
 */
export const listEpoch =
  (width: number, terms: ReadonlyArray<LossTerm<ScoredLists>>) =>
  ({ model, teacher }: Parties): WholeEpoch | undefined => {
    const train = model.trainListEpoch?.bind(model);
    const start = { epoch: 0, round: 0 };
    const kernelOf = (term: LossTerm<ScoredLists>, progress: TrainingProgress) => term.closedForm?.(progress).kernel;
    if (train === undefined || !terms.every((term) => kernelOf(term, start) !== undefined)) return undefined;
    const source =
      teacher?.scoreTable !== undefined
        ? { table: teacher.scoreTable }
        : teacher?.factorTables !== undefined
          ? { factors: teacher.factorTables }
          : undefined;
    const needsTeacher = terms.some((term) => kernelOf(term, start)!.some(({ term: part }) => readsTeacher(part)));
    if (needsTeacher && source === undefined) return undefined;
    return (batches, threads, { lists, progress }) => {
      const weighted = terms.map((term) => ({
        name: termBaseName(term.name),
        weight: weightAt(term.weight, progress),
        parts: kernelOf(term, progress)!,
      }));
      const losses = train(
        {
          batchRows: batches.map((batch) => batch.users.length),
          lists: (k) => lists(batches[k]!),
          width,
          terms: weighted.flatMap(({ weight, parts }) =>
            parts.map(({ term, scale }) => ({ term, weight: weight * scale })),
          ),
          ...(needsTeacher && source !== undefined ? { teacher: source } : {}),
        },
        threads,
      );
      let at = 0;
      let loss = 0;
      const named: Record<string, number> = {};
      for (const { name, weight, parts } of weighted) {
        const value = parts.reduce((sum, { scale }, j) => sum + scale * batchMean(losses[at + j]!), 0);
        at += parts.length;
        if (weight === 0) continue;
        named[name] = value;
        loss += weight * value;
      }
      return { loss, terms: named };
    };
  };

/** The mean of an epoch's per-batch values (NaN for none). */
export const batchMean = (values: Float32Array): number => values.reduce((sum, x) => sum + x, 0) / values.length;

/**
 * What the trainer does with a pairwise batch under a strategy's phase.
 * @category Plans
 */
export interface BatchPlan {
  /** Items per row of the lists. */
  readonly width: number;
  /** The loss mixture, for logs: `0.2·bpr + 0.8·soft-label-ce(T=0.5)`. */
  readonly terms: ReadonlyArray<LossTerm<ScoredLists>>;
  /** The rows' item lists: positive, negative, then what the plan adds. */
  lists(batch: PairwiseBatch, rng: Random): RowItemLists;
  /** Binds the plan to the models it trains; fails when they cannot do what it needs. */
  bind(parties: Parties): E.Either<KdrecError, BoundPlan>;
  /** Refreshes what the lists draw from the teacher, at the start of each round. */
  beforeRound?(round: number, rng: Random): void;
}

/** BPR over the student's rows that start [positive, negative, …]. */
export const bprTerm = (weight: number | Schedule = 1): LossTerm<ScoredLists> =>
  withClosedForm(
    lossTerm("bpr", (s) => rowBprLoss(s.student), weight),
    () => rowBprGradient(),
  );

/** BPR over rows that start [negative, positive, …] (the soft-label layout). */
export const negativeFirstBprTerm = (weight: number | Schedule = 1): LossTerm<ScoredLists> =>
  withClosedForm(
    lossTerm("bpr", (s) => rowBprLoss(s.student, true), weight),
    () => rowBprGradient(true),
  );

/**
 * Rows of [positive, negative, …what `extra` writes from `offset`], drawing from the batch's stream.
 * @category Plans
 */
export const rowLists =
  (width: number, extra: (user: number, out: Int32Array, offset: number, rng: Random) => void) =>
  (batch: PairwiseBatch, rng: Random): RowItemLists => {
    const items = new Int32Array(batch.users.length * width);
    for (let row = 0; row < batch.users.length; row++) {
      items[row * width] = batch.positives[row]!;
      items[row * width + 1] = batch.negatives[row]!;
      extra(batch.users[row]!, items, row * width + 2, rng);
    }
    return { users: batch.users, items, width, rows: batch.rows };
  };

/**
 * The student's plan for a loss mixture over its lists: one step of the student on the
 * mixture, the teacher's list scores read only where a term reads them.
 * @category Plans
 */
export const mixturePlan = (
  width: number,
  lists: BatchPlan["lists"],
  terms: ReadonlyArray<LossTerm<ScoredLists>>,
  needs: "teacher" | "nothing" = "nothing",
  beforeRound?: BatchPlan["beforeRound"],
): BatchPlan => withWholeEpoch(stepPlan(width, lists, terms, needs, beforeRound), listEpoch(width, terms));

/** {@link mixturePlan}'s steps, batch by batch. */
const stepPlan = (
  width: number,
  lists: BatchPlan["lists"],
  terms: ReadonlyArray<LossTerm<ScoredLists>>,
  needs: "teacher" | "nothing",
  beforeRound: BatchPlan["beforeRound"],
): BatchPlan => ({
  width,
  terms,
  lists,
  ...(beforeRound === undefined ? {} : { beforeRound }),
  bind: ({ model, teacher }) => {
    if (needs === "teacher" && teacher === undefined)
      return E.left(kdrecError("INVALID_ARGUMENT", "a one-way strategy needs a teacher", "fit"));
    const closedFormStep = model.trainStepWithGradient?.bind(model);
    if (closedFormStep !== undefined && hasClosedForm(terms))
      // Every term has a closed form and the model takes a score gradient: no tensor op per step.
      return E.right(
        meteredStep(
          (meter) => (batch, progress) =>
            closedFormStep(batch, (student, gradient) => {
              const scores = scoreArrays(student, batch, teacher);
              const mixture = mixtureGradient(terms, scores, progress, gradient);
              meter.captureValues(mixture.parts);
              return mixture.total;
            }),
        ),
      );
    return E.right(
      meteredStep((meter) => (batch, progress) => {
        const loss = model.trainStep(batch, (student) => {
          const mixture = mixtureLoss(terms, scoredLists(student, batch, teacher), progress);
          meter.capture(mixture.parts);
          return mixture.total;
        });
        meter.add();
        return loss;
      }),
    );
  },
});

/** A bound plan whose step reports its terms to a {@link TermMeter}, read at the end of each epoch. */
const meteredStep = (step: (meter: TermMeter) => BatchStep): BoundPlan => {
  const meter = termMeter();
  return { step: step(meter), termLosses: () => meter.read() };
};

/**
 * The task loss alone (BPR on [positive, negative] rows): training without a teacher, and
 * fine-tuning after distillation.
 * @category Plans
 */
export const taskOnlyPlan = (): BatchPlan =>
  // A model that takes whole BPR epochs itself may train on threads (the trainer asks).
  withWholeEpoch(
    mixturePlan(
      2,
      rowLists(2, () => undefined),
      [bprTerm()],
    ),
    ({ model }) => {
      const wholeEpoch = model.trainPairwiseEpoch?.bind(model);
      if (wholeEpoch === undefined) return undefined;
      return (batches, threads) => {
        const loss = batchMean(wholeEpoch(batches, threads));
        return { loss, terms: { bpr: loss } };
      };
    },
  );

/**
 * Adds a term that reads both sides' features (feature alignment) to a student's plan: the step
 * becomes the student's feature step, with the teacher's features for the rows' users.
 * @category Plans
 */
export const withFeatureTerm = (plan: BatchPlan, term: LossTerm<ScoredLists>): BatchPlan => {
  const terms = [...plan.terms, term];
  return {
    ...plan,
    terms,
    bind: ({ model, teacher }) => {
      const step = model.trainStepWithFeatures?.bind(model);
      if (step === undefined)
        return E.left(
          kdrecError(
            "INVALID_ARGUMENT",
            "feature alignment needs a student that exposes features (e.g. the hierarchical tower)",
            "strategy.featureAlignment",
          ),
        );
      if (teacher === undefined || !hasFeatures(teacher))
        return E.left(
          kdrecError(
            "INVALID_ARGUMENT",
            `feature alignment needs a teacher that exposes features (a sequential transformer); ${teacher?.name ?? "none"} does not`,
            "strategy.featureAlignment",
          ),
        );
      return E.right(
        meteredStep((meter) => (batch, progress) => {
          const teacherFeatures = teacher.features(batch.users);
          const loss = step(batch, (student, studentFeatures) => {
            const scored = scoredLists(student, batch, teacher, { studentFeatures, teacherFeatures });
            const mixture = mixtureLoss(terms, scored, progress);
            meter.capture(mixture.parts);
            return mixture.total;
          });
          meter.add();
          disposeAll(teacherFeatures);
          return loss;
        }),
      );
    },
  };
};

const disposeAll = (tensors: ReadonlyArray<tf.Tensor>) => {
  for (const x of tensors) x.dispose();
};

/** The teacher's scores a distillation term reads (a plan bound without a teacher never gets here). */
export const teacherScores = (scored: ScoredLists): tf.Tensor2D => {
  const scores = scored.teacher;
  if (scores === undefined) throw new Error("a distillation loss ran without the teacher's scores");
  return scores;
};
