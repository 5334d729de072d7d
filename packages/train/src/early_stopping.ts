/**
 * Early stopping and the best epoch, in one place: a phase ends when validation NDCG@10 has not
 * improved for `patience` epochs or its epochs run out, and the best epoch's weights are kept.
 * Two-way training tracks its peer's best epoch by the same rule.
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
 * Whether a phase ends after `epoch` (its `inPhase`-th): no improvement for `patience` epochs, or
 * the phase's epochs used up.
 * @category Training
 */
export const phaseOver = (
  best: { readonly epoch: number },
  at: { readonly epoch: number; readonly inPhase: number },
  limits: { readonly patience: number; readonly epochs: number },
): boolean => at.epoch - best.epoch >= limits.patience || at.inPhase + 1 >= limits.epochs;
