/**
 * Pointwise metrics for rating and click tasks: RMSE, MAE, AUC and log-loss over plain arrays.
 * @module
 */

const sameLength = (a: ArrayLike<number>, b: ArrayLike<number>, name: string): void => {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`${name}: expected two non-empty arrays of one length, got ${a.length} and ${b.length}`);
};

/** Root mean squared error. @category Pointwise */
export const rmse = (predictions: ArrayLike<number>, targets: ArrayLike<number>): number => {
  sameLength(predictions, targets, "rmse");
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += (predictions[i]! - targets[i]!) ** 2;
  return Math.sqrt(sum / targets.length);
};

/** Mean absolute error. @category Pointwise */
export const mae = (predictions: ArrayLike<number>, targets: ArrayLike<number>): number => {
  sameLength(predictions, targets, "mae");
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += Math.abs(predictions[i]! - targets[i]!);
  return sum / targets.length;
};

/**
 * Area under the ROC curve for binary labels (1 positive, 0 negative): the probability that a
 * random positive scores above a random negative, ties counting one half (Mann–Whitney U with
 * average ranks). NaN when one class is absent.
 * @category Pointwise
 */
export const auc = (scores: ArrayLike<number>, labels: ArrayLike<number>): number => {
  sameLength(scores, labels, "auc");
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
};

/**
 * Mean binary cross-entropy of probabilities against 0/1 labels; probabilities are clipped to
 * [1e-7, 1 − 1e-7] so one confident mistake costs a lot, not infinity.
 * @category Pointwise
 */
export const logLoss = (probabilities: ArrayLike<number>, labels: ArrayLike<number>): number => {
  sameLength(probabilities, labels, "logLoss");
  const eps = 1e-7;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= labels[i]! * Math.log(p) + (1 - labels[i]!) * Math.log(1 - p);
  }
  return sum / labels.length;
};
