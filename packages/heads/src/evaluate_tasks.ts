/**
 * Every task's metric side by side: RMSE and MAE of the rating head on held-out ratings; AUC and
 * log-loss of the like head on held-out interactions (liked when rated at or above the threshold)
 * against one sampled unobserved item each (not liked).
 * @module
 */
import { type KdrecError, kdrecError, type Random, readTidy } from "@kdrec/core";
import { concatInteractions, type Interactions, uniformNegatives, userItemSets } from "@kdrec/data";
import { auc, logLoss, mae, rmse } from "@kdrec/metrics";
import type { TaskTeacher } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

/**
 * The rating and like metrics of a model (see {@link evaluateTasks}).
 * @category Heads
 */
export interface TaskMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly auc: number;
  readonly logLoss: number;
}

/**
 * Evaluates the rating and like heads on `heldOut` (which must carry ratings); the sampled
 * unobserved items avoid everything in `seen` and `heldOut`, drawn from `rng`.
 * @category Heads
 */
export const evaluateTasks = (
  model: TaskTeacher,
  heldOut: Interactions,
  seen: Interactions,
  rng: Random,
  likeThreshold = 4,
): E.Either<KdrecError, TaskMetrics> => {
  const ratings = heldOut.ratings;
  if (ratings === undefined)
    return E.left(kdrecError("INVALID_DATA", "the held-out interactions have no ratings", "evaluateTasks"));
  const sampler = uniformNegatives(userItemSets(concatInteractions(seen, heldOut)));
  if (E.isLeft(sampler)) return sampler;
  const n = heldOut.users.length;
  const users = new Int32Array(2 * n);
  const items = new Int32Array(2 * n);
  const labels = new Float32Array(2 * n);
  for (let r = 0; r < n; r++) {
    users[r] = heldOut.users[r]!;
    items[r] = heldOut.items[r]!;
    labels[r] = ratings[r]! >= likeThreshold ? 1 : 0;
    users[n + r] = heldOut.users[r]!;
    items[n + r] = sampler.right.sample(heldOut.users[r]!, rng);
  }
  const predictions = model.predictTasks(users, items);
  const rating = readTidy(() => tf.slice(predictions.rating, 0, n));
  const like = readTidy(() => tf.sigmoid(predictions.like));
  tf.dispose([predictions.rating, predictions.like]);
  return E.right({
    rmse: rmse(rating, ratings),
    mae: mae(rating, ratings),
    auc: auc(like, labels),
    logLoss: logLoss(like, labels),
  });
};
