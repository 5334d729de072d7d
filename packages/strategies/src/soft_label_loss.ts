/**
 * Soft-label distillation (listwise soft-label cross-entropy with temperature, Hinton et al.'s
 * recipe over a sampled list): rows [negative, positive, n candidates], the first `teacherTop`
 * candidates drawn from the teacher's top 5·`teacherTop` unobserved items, the rest uniform.
 * @module
 */
import { integerInRange, positiveAtMost } from "@kdrec/core";
import {
  complement,
  describeSchedule,
  type LossTerm,
  lossTerm,
  type Schedule,
  softLabelCrossEntropy,
  softLabelGradient,
  weightAt,
  withClosedForm,
} from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { listsWithCandidates, uniformItems } from "./candidates.js";
import type { DistillationLossEntry, LossPlan } from "./loss_table.js";
import { negativeFirstBprTerm, teacherScores } from "./plan.js";
import { describeRoundValue, type RoundValue, roundSchedule, roundValue } from "./round_values.js";
import type { ScoredLists } from "./scored_lists.js";
import { teacherTargets } from "./teacher_top_losses.js";

/**
 * The soft-label loss's options, resolved.
 * @category Losses
 */
export interface SoftLabelLoss {
  readonly kind: "soft-label";
  /** Uniform (and teacher) candidates per row; default 100. */
  readonly candidates: number;
  /** Temperature of both distributions, per round if wished; default 1. */
  readonly temperature: RoundValue;
  /** Candidates drawn from the teacher's top 5·`teacherTop`; default 0. */
  readonly teacherTop: number;
}

/**
 * The soft-label cross-entropy over rows [negative, positive, n candidates]: the distribution over
 * the positive and the candidates, one contiguous slice (a slice's gradient is cheap; a gather's
 * is not). Two-way training's listwise targets use it too.
 * @category Losses
 */
export const softLabelTerm = (
  n: number,
  temperature: number | Schedule,
  weight: number | Schedule,
): LossTerm<ScoredLists> => {
  const list = (scores: tf.Tensor2D) => tf.slice(scores, [0, 1], [-1, n + 1]) as tf.Tensor2D;
  return withClosedForm(
    lossTerm(
      `soft-label-ce(T=${describeSchedule(temperature)})`,
      (s: ScoredLists, progress) =>
        softLabelCrossEntropy(list(s.student), list(teacherScores(s)), weightAt(temperature, progress)),
      weight,
      { temperature },
    ),
    (progress) => softLabelGradient(1, n + 1, weightAt(temperature, progress)),
  );
};

/**
 * The soft-label entry of the loss table.
 * @category Losses
 */
export const softLabelLoss: DistillationLossEntry<SoftLabelLoss> = {
  kind: "soft-label",
  termName: "soft-label-ce",
  options: {
    candidates: integerInRange(1),
    temperature: roundValue(positiveAtMost(100), "temperature"),
    teacherTop: integerInRange(0),
  },
  defaults: { kind: "soft-label", candidates: 100, temperature: 1, teacherTop: 0 },
  describe: (loss) => {
    const pool = loss.teacherTop > 0 ? ` (${loss.teacherTop} from the teacher's top ${5 * loss.teacherTop})` : "";
    return `T=${describeRoundValue(loss.temperature)}, ${loss.candidates} candidates${pool}`;
  },
  teacherTopK: (loss) => 5 * loss.teacherTop,
  draws: (loss) => [
    { field: "loss.candidates", size: loss.candidates, what: "candidates" },
    { field: "loss.teacherTop", size: 5 * loss.teacherTop, what: "the teacher's pool (5 × teacherTop)" },
  ],
  plan: (loss, context) => {
    const n = loss.candidates;
    const fromTeacher = Math.min(loss.teacherTop, n);
    const plan = (teacherDraws?: Parameters<typeof listsWithCandidates>[3]): LossPlan => ({
      width: n + 2,
      lists: listsWithCandidates(n, uniformItems(context.numItems), true, teacherDraws),
      terms: [
        negativeFirstBprTerm(complement(context.alpha)),
        softLabelTerm(n, roundSchedule(loss.temperature, context.rounds), context.alpha),
      ],
    });
    if (fromTeacher === 0) return E.right(plan());
    return E.map((targets: NonNullable<typeof context.targets>) => plan({ count: fromTeacher, targets }))(
      teacherTargets(context, 5 * loss.teacherTop, "drawing soft-label candidates", "strategy.loss.teacherTop"),
    );
  },
};
