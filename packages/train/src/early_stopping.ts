/**
 * Early stopping and the best epoch, in one place: a round (a whole phase, unless the phase is
 * distillation in rounds) ends when validation NDCG@10 has not improved for `patience` of its
 * epochs or its epochs run out, and the best epoch's weights are kept. Two-way training tracks
 * its peer's best epoch by the same rule.
 * @module
 */
import type { MetricSummary } from "@kdrec/metrics";

/**
 * The best epoch so far: its validation NDCG@10, number, weights and validation metrics.
 * Epoch -1 is the model as it came in.
 * @category Training
 */
export interface BestEpoch<W> {
  readonly ndcg: number;
  readonly epoch: number;
  readonly weights: W;
  readonly valid: Readonly<Record<string, MetricSummary>>;
}

/**
 * No epoch yet: any validated epoch improves on it.
 * @category Training
 */
export const noBestEpoch = <W>(weights: W): BestEpoch<W> => ({
  ndcg: Number.NEGATIVE_INFINITY,
  epoch: -1,
  weights,
  valid: {},
});

/**
 * The best epoch after validating `epoch`: the new one when it validates strictly better (its
 * weights snapshotted only then), the old one otherwise.
 * @category Training
 */
export const keepBest = <W>(
  best: BestEpoch<W>,
  epoch: number,
  valid: Readonly<Record<string, MetricSummary>>,
  snapshot: () => W,
): BestEpoch<W> => {
  const ndcg = valid["ndcg@10"]?.mean ?? Number.NEGATIVE_INFINITY;
  return ndcg > best.ndcg ? { ndcg, epoch, weights: snapshot(), valid } : best;
};

/**
 * Where training goes after `epoch` (the `inPhase`-th of its phase): on in the round; to the next
 * round's first epoch when the round's epochs are used up or it has not improved on the best
 * epoch for `patience` of its own epochs (patience counts from the round's start, so a round, and
 * a fine-tuning phase, always runs at least `patience` epochs); to the next phase after the last
 * round.
 * @example
 * ```ts
 * nextPosition({ epoch: 12 }, { phase: 0, inPhase: 32, epoch: 32 }, { patience: 20, epochs: 200, roundLength: 40 });
 * // { phase: 0, inPhase: 40, epoch: 33 }: round 0 stalled since epoch 12; round 1 starts
 * ```
 * @category Training
 */
export const nextPosition = (
  best: { readonly epoch: number },
  at: { readonly phase: number; readonly inPhase: number; readonly epoch: number },
  limits: { readonly patience: number; readonly epochs: number; readonly roundLength: number },
): { readonly phase: number; readonly inPhase: number; readonly epoch: number } => {
  const round = Math.floor(at.inPhase / limits.roundLength);
  const roundStart = at.epoch - (at.inPhase - round * limits.roundLength);
  const stalled = at.epoch - Math.max(best.epoch, roundStart - 1) >= limits.patience;
  const inPhase = stalled ? (round + 1) * limits.roundLength : at.inPhase + 1;
  return inPhase >= limits.epochs
    ? { phase: at.phase + 1, inPhase: 0, epoch: at.epoch + 1 }
    : { phase: at.phase, inPhase, epoch: at.epoch + 1 };
};
