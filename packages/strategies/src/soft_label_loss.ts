/**
 * Soft-label distillation (listwise soft-label cross-entropy with temperature, Hinton et al.'s
 * recipe over a sampled list): rows [negative, positive, n candidates], the first `teacherTop`
 * candidates drawn from the teacher's top 5·`teacherTop` unobserved items, the rest uniform.
 * @module
 */
import { integerInRange, positiveAtMost, positiveNumber } from "@kdrec/core";
import {
  complement,
  describeSchedule,
  type LossTerm,
  lossTerm,
  rankDiscrepancyWeights,
  type Schedule,
  softLabelCrossEntropy,
  softLabelGradient,
  weightAt,
  withClosedForm,
} from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
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
  /**
   * How the candidates' targets weigh: `uniform` (default), or `rank-discrepancy` (Collaborative
   * Distillation's student-guided emphasis: a candidate weighs tanh(ε·(student rank − teacher
   * rank)) when the student ranks it below the teacher, nothing otherwise; see
   * `rankDiscrepancyWeights`).
   */
  readonly weighting: "uniform" | "rank-discrepancy";
  /** ε of the rank-discrepancy weights (per place of discrepancy); default 0.1. */
  readonly epsilon: number;
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
  rankDiscrepancy?: { readonly epsilon: number },
): LossTerm<ScoredLists> => {
  const list = (scores: tf.Tensor2D) => tf.slice(scores, [0, 1], [-1, n + 1]) as tf.Tensor2D;
  // The weights are constants of the step, read from both sides' scores of the lists.
  const weightsOf = (student: Float32Array, teacher: Float32Array, rows: number) =>
    rankDiscrepancyWeights(student, teacher, rows, n + 2, 1, n + 1, rankDiscrepancy!.epsilon);
  const name = `soft-label-ce(T=${describeSchedule(temperature)}${rankDiscrepancy === undefined ? "" : `, rank-discrepancy ε=${rankDiscrepancy.epsilon}`})`;
  return withClosedForm(
    lossTerm(
      name,
      (s: ScoredLists, progress) => {
        const teacher = teacherScores(s);
        const weights =
          rankDiscrepancy === undefined
            ? undefined
            : tf.tensor2d(
                weightsOf(s.student.dataSync() as Float32Array, teacher.dataSync() as Float32Array, s.student.shape[0]),
                [s.student.shape[0], n + 1],
              );
        return softLabelCrossEntropy(list(s.student), list(teacher), weightAt(temperature, progress), weights);
      },
      weight,
      { temperature },
    ),
    (progress) =>
      softLabelGradient(
        1,
        n + 1,
        weightAt(temperature, progress),
        rankDiscrepancy === undefined ? undefined : (s) => weightsOf(s.student, s.teacher!, s.rows),
      ),
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
    weighting: t.keyof({ uniform: null, "rank-discrepancy": null }),
    epsilon: positiveNumber,
  },
  defaults: {
    kind: "soft-label",
    candidates: 100,
    temperature: 1,
    teacherTop: 0,
    weighting: "uniform",
    epsilon: 0.1,
  },
  describe: (loss) => {
    const pool = loss.teacherTop > 0 ? ` (${loss.teacherTop} from the teacher's top ${5 * loss.teacherTop})` : "";
    const weighting = loss.weighting === "rank-discrepancy" ? `, rank-discrepancy weights (ε=${loss.epsilon})` : "";
    return `T=${describeRoundValue(loss.temperature)}, ${loss.candidates} candidates${pool}${weighting}`;
  },
  teacherTopK: (loss) => 5 * loss.teacherTop,
  draws: (loss) => [
    { field: "loss.candidates", size: loss.candidates, what: "candidates" },
    { field: "loss.teacherTop", size: 5 * loss.teacherTop, what: "the teacher's pool (5 × teacherTop)" },
  ],
  plan: (loss, context) => {
    const n = loss.candidates;
    const fromTeacher = Math.min(loss.teacherTop, n);
    const temperature = roundSchedule(loss.temperature, context.rounds);
    const bprWeight = complement(context.alpha);
    const plan = (teacherDraws?: Parameters<typeof listsWithCandidates>[3]): LossPlan => ({
      width: n + 2,
      lists: listsWithCandidates(n, uniformItems(context.numItems), true, teacherDraws),
      terms: [
        negativeFirstBprTerm(bprWeight),
        softLabelTerm(
          n,
          temperature,
          context.alpha,
          loss.weighting === "rank-discrepancy" ? { epsilon: loss.epsilon } : undefined,
        ),
      ],
    });
    if (fromTeacher === 0) return E.right(plan());
    return E.map((targets: NonNullable<typeof context.targets>) => plan({ count: fromTeacher, targets }))(
      teacherTargets(context, 5 * loss.teacherTop, "drawing soft-label candidates", "strategy.loss.teacherTop"),
    );
  },
};
