/**
 * A teacher's targets for a distillation, computed once: each user's top-K items among those the
 * user has not interacted with in training, with the teacher's scores, best first.
 * @module
 */
import { hasEngineKernel, KdrecTopKExcluding, topKExcluding } from "@kdrec/core";
import { type Interactions, indexBatches, itemsOf, numUsers, type UserItems, userItemSets } from "@kdrec/data";
import type { Teacher, TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";

/** One batch's top `k` by a dense -∞ mask of the seen items and `tf.topk` (ties to the lower index). */
const maskedTopK = (scores: tf.Tensor2D, batch: Int32Array, seen: UserItems, k: number): [tf.Tensor, tf.Tensor] => {
  const items = scores.shape[1];
  const mask = new Float32Array(batch.length * items);
  batch.forEach((u, b) => {
    for (const i of itemsOf(seen, u)) mask[b * items + i] = Number.NEGATIVE_INFINITY;
  });
  const { values, indices } = tf.topk(tf.add(scores, tf.tensor2d(mask, [batch.length, items])), k);
  return [values, indices];
};

/**
 * Scores every user against every item on the backend and keeps each user's top `k` among the
 * items the user has not seen in training, in batches of `batchSize` users: by the engine's
 * `KdrecTopKExcluding` kernel where registered (no mask built), else by a dense -∞ mask and
 * `tf.topk` — the same lists (ties to the lower index). A user with fewer than `k` unseen items
 * gets seen items at -∞ after them, as from the mask.
 * @category Teachers
 */
export const teacherTopK = async (
  teacher: Teacher,
  train: Interactions,
  k: number,
  batchSize = 256,
): Promise<TeacherTargets> => {
  if (!(Number.isInteger(k) && k > 0 && k < teacher.numItems))
    throw new RangeError(`teacherTopK: k must be an integer in [1, ${teacher.numItems - 1}], got ${k}`);
  const users = numUsers(train);
  const seen = userItemSets(train);
  const items = new Int32Array(users * k);
  const scores = new Float32Array(users * k);
  const [offsets, seenItems] = hasEngineKernel(KdrecTopKExcluding)
    ? [tf.tensor1d(seen.offsets, "int32"), tf.tensor1d(seen.items, "int32")]
    : [undefined, undefined];
  try {
    for (const batch of indexBatches(users, batchSize)) {
      const start = batch[0]!;
      const top = tf.tidy((): [tf.Tensor, tf.Tensor] => {
        const all = teacher.scoreAll(batch);
        if (offsets === undefined || seenItems === undefined) return maskedTopK(all, batch, seen, k);
        const { values, indices } = topKExcluding(
          { scores: all, users: tf.tensor1d(batch, "int32"), excludedOffsets: offsets, excludedItems: seenItems },
          k,
        );
        // The kernel pads a list short of unseen items with -1; the mask fills it with seen items
        // at -∞: such a batch (a user who has seen almost everything) takes the mask's lists.
        return (indices.dataSync() as Int32Array).includes(-1) ? maskedTopK(all, batch, seen, k) : [values, indices];
      });
      const topItems = (await top[1].data()) as Int32Array;
      const topScores = (await top[0].data()) as Float32Array;
      tf.dispose([...top]);
      items.set(topItems, start * k);
      scores.set(topScores, start * k);
    }
  } finally {
    tf.dispose([offsets, seenItems].filter((t) => t !== undefined));
  }
  return { k, items, scores };
};
