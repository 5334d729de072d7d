/**
 * MSE distillation: squared error between the student's and the teacher's scores on the
 * positive, the negative and `candidates` uniform items per row.
 * @module
 */
import { integerInRange } from "@kdrec/core";
import { complement, lossTerm, meanSquaredError, squaredErrorGradient, withClosedForm } from "@kdrec/losses";
import * as E from "fp-ts/lib/Either.js";
import { listsWithCandidates, uniformItems } from "./candidates.js";
import type { DistillationLossEntry } from "./loss_table.js";
import { bprTerm, teacherScores } from "./plan.js";

/**
 * The MSE loss's options, resolved.
 * @category Losses
 */
export interface MseLoss {
  readonly kind: "mse";
  /** Uniform items per row beyond the positive and the negative; default 14. */
  readonly candidates: number;
}

/**
 * The MSE entry of the loss table.
 * @category Losses
 */
export const mseLoss: DistillationLossEntry<MseLoss> = {
  kind: "mse",
  termName: "mse",
  options: { candidates: integerInRange(0) },
  defaults: { kind: "mse", candidates: 14 },
  describe: (loss) => `${loss.candidates} candidates`,
  teacherTopK: () => 0,
  draws: (loss) => [{ field: "loss.candidates", size: loss.candidates, what: "candidates" }],
  plan: (loss, context) =>
    E.right({
      width: loss.candidates + 2,
      lists: listsWithCandidates(loss.candidates, uniformItems(context.numItems), false),
      terms: [
        bprTerm(complement(context.alpha)),
        withClosedForm(
          lossTerm("mse", (s) => meanSquaredError(s.student, teacherScores(s)), context.alpha),
          () => squaredErrorGradient,
        ),
      ],
    }),
};
