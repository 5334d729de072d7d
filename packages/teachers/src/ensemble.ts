/**
 * Several teachers as one: a weighted sum of their scores (multi-teacher distillation).
 * @module
 */

import type { Teacher } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";

/**
 * A teacher whose scores are Σ wₖ · teacherₖ's scores, each teacher's scores standardised per row
 * first (teachers trained apart score on different scales). Throws a RangeError when the
 * teachers disagree on the catalogue or the weights do not match them.
 * @category Teachers
 */
export const ensembleTeacher = (teachers: ReadonlyArray<Teacher>, weights: ReadonlyArray<number>): Teacher => {
  if (teachers.length === 0 || teachers.length !== weights.length)
    throw new RangeError(`ensembleTeacher: ${teachers.length} teachers and ${weights.length} weights`);
  const numItems = teachers[0]!.numItems;
  const other = teachers.find((t) => t.numItems !== numItems);
  if (other !== undefined)
    throw new RangeError(
      `ensembleTeacher: ${other.name} has ${other.numItems} items, ${teachers[0]!.name} ${numItems}`,
    );
  const standardised = (scores: tf.Tensor2D) => {
    const { mean, variance } = tf.moments(scores, 1, true);
    return tf.div(tf.sub(scores, mean), tf.sqrt(tf.add(variance, 1e-8)));
  };
  const combine = (each: (t: Teacher) => tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => tf.addN(teachers.map((t, k) => tf.mul(standardised(each(t)), weights[k]!))) as tf.Tensor2D);
  return {
    name: teachers.map((t) => t.name).join("+"),
    architecture: "ensemble",
    numItems,
    parameterCount: teachers.reduce((n, t) => n + t.parameterCount, 0),
    scoreLists: (users, items, width, rows) => combine((t) => t.scoreLists(users, items, width, rows)),
    scoreAll: (users) => combine((t) => t.scoreAll(users)),
    ...(teachers.some((t) => t.batchOrder === "by-user") ? { batchOrder: "by-user" as const } : {}),
    // The members belong to the caller.
    dispose: () => undefined,
  };
};
