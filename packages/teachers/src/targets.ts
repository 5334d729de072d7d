/**
 * A teacher's targets for a distillation, computed once: each user's top-K items among those the
 * user has not interacted with in training, with the teacher's scores, best first.
 * @module
 */
import { type Interactions, indexBatches, itemsOf, numUsers, userItemSets } from "@kdrec/data";
import type { Teacher, TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Scores every user against every item on the backend, masks the user's training items and keeps
 * the top `k` (by `tf.topk`), in batches of `batchSize` users.
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
  for (const batch of indexBatches(users, batchSize)) {
    const start = batch[0]!;
    const mask = new Float32Array(batch.length * teacher.numItems);
    batch.forEach((u, b) => {
      for (const i of itemsOf(seen, u)) mask[b * teacher.numItems + i] = Number.NEGATIVE_INFINITY;
    });
    const top = tf.tidy(() => {
      const masked = tf.add(teacher.scoreAll(batch), tf.tensor2d(mask, [batch.length, teacher.numItems]));
      const { values, indices } = tf.topk(masked, k);
      return [values, indices] as const;
    });
    scores.set(await top[0].data(), start * k);
    items.set(await top[1].data(), start * k);
    tf.dispose([...top]);
  }
  return { k, items, scores };
};
