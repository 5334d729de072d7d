/**
 * A strategy's schedule: the phases it trains in, each with its length, its round length and its
 * batch plan. One-way: distillation rounds, then fine-tuning on the task loss; two-way: mutual
 * training; none: the task loss alone.
 * @module
 */
import type { KdrecError } from "@kdrec/core";
import { featureAlignment, lossTerm } from "@kdrec/losses";
import type { PhaseName, TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { lossEntry } from "./loss_table.js";
import { type BatchPlan, mixturePlan, taskOnlyPlan, withFeatureTerm } from "./plan.js";
import { withRepresentationDistillation } from "./representation.js";
import { roundSchedule } from "./round_values.js";
import type { ScoredLists } from "./scored_lists.js";
import { checkStrategy, type ResolvedOneWay, resolveStrategy, type Strategy } from "./strategy.js";
import { twoWayPlan } from "./two_way.js";

/**
 * What the plans of a strategy may need: the catalogue size, the teacher's top-K targets, and the
 * length of training without a teacher.
 * @category Plans
 */
export interface PlanContext {
  readonly numItems: number;
  readonly targets?: TeacherTargets;
  /** Training interactions per item (popularity-aware losses read it). */
  readonly itemCounts?: Int32Array;
  /** Epochs of a strategy without distillation; default 200. */
  readonly maxEpochs?: number;
}

/**
 * One phase of a strategy's schedule.
 * @category Plans
 */
export interface StrategyPhase {
  readonly name: PhaseName;
  /** The only parts of the model this phase trains (partial fine-tuning); default all. */
  readonly train?: ReadonlyArray<string>;
  /** Epochs at most (early stopping may end the phase sooner). */
  readonly epochs: number;
  /** Epochs per distillation round (the round is what loss schedules by `round` follow). */
  readonly roundLength: number;
  readonly plan: BatchPlan;
}

/**
 * The phases `strategy` trains in. Fails when a loss's plan lacks what it reads (the teacher's
 * top-K). Phases of zero epochs are left out.
 * @example
 * ```ts
 * const phases = strategyPhases(oneWay(softLabel()), { numItems: 1682 });
 * // Right: distill (5 × 40 epochs), then finetune (20 epochs)
 * ```
 * @category Plans
 */
export const strategyPhases = (
  strategy: Strategy,
  context: PlanContext,
): E.Either<KdrecError, ReadonlyArray<StrategyPhase>> => {
  const resolved = resolveStrategy(strategy);
  if (resolved.kind === "none") {
    const epochs = context.maxEpochs ?? 200;
    // One round: patience ends the whole phase.
    return E.right([{ name: "train", epochs, roundLength: epochs, plan: taskOnlyPlan() }]);
  }
  if (resolved.kind === "two-way")
    return E.right([
      {
        name: "distill",
        epochs: resolved.epochs,
        roundLength: resolved.epochs,
        plan: twoWayPlan(resolved, context.numItems),
      },
    ]);
  const checked = checkStrategy(resolved);
  if (E.isLeft(checked)) return E.left({ ...checked.left, location: `strategy.${checked.left.location}` });
  const { finetune } = resolved;
  return E.map(
    (distill: BatchPlan): ReadonlyArray<StrategyPhase> => [
      {
        name: "distill",
        epochs: resolved.rounds * resolved.epochsPerRound,
        roundLength: resolved.epochsPerRound,
        plan: distill,
      },
      ...(finetune.epochs === 0
        ? []
        : [
            {
              name: "finetune" as const,
              epochs: finetune.epochs,
              roundLength: finetune.epochs,
              plan: taskOnlyPlan(),
              ...(finetune.train === undefined ? {} : { train: finetune.train }),
            },
          ]),
    ],
  )(oneWayPlan(resolved, context));
};

/**
 * The distillation phase's plan of a one-way strategy: its loss's plan, plus representation
 * distillation and feature alignment.
 */
const oneWayPlan = (strategy: ResolvedOneWay, context: PlanContext): E.Either<KdrecError, BatchPlan> => {
  const { entry, resolved } = lossEntry(strategy.loss);
  const planned = entry.plan(resolved, {
    ...context,
    alpha: roundSchedule(strategy.alpha, strategy.rounds),
    rounds: strategy.rounds,
  });
  if (E.isLeft(planned)) return planned;
  const { width, lists, terms, beforeRound } = planned.right;
  const scored = mixturePlan(width, lists, terms, "teacher", beforeRound?.bind(planned.right));
  const plan =
    strategy.representation === undefined
      ? scored
      : withRepresentationDistillation(scored, strategy.representation, strategy.rounds);
  if (strategy.featureAlignment === undefined) return E.right(plan);
  const { weight, ...options } = strategy.featureAlignment;
  const align = lossTerm(
    "feature-alignment",
    (s: ScoredLists) => {
      const student = s.studentFeatures ?? [];
      const teacher = s.teacherFeatures ?? [];
      if (student.length === 0 || student.length !== teacher.length)
        throw new Error(`feature alignment got ${student.length} student and ${teacher.length} teacher feature levels`);
      return tf.addN(
        student.map((level, k) => featureAlignment(level.value, teacher[k]!, level.projection, options)),
      ) as tf.Scalar;
    },
    weight,
  );
  return E.right(withFeatureTerm(plan, align));
};
