/**
 * Several teachers as one: a weighted sum of their scores (multi-teacher distillation).
 * @module
 */

import type { Teacher } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";

/** Per user: a teacher's mean and standard deviation over the whole catalogue. */
type CatalogueStats = Map<number, readonly [number, number]>;

/**
 * A teacher whose scores are Σ wₖ · (teacherₖ's score − its mean) / its std, the mean and std
 * being teacherₖ's over the whole catalogue for that user (teachers trained apart score on
 * different scales). The statistics come from `scoreAll`, once per user, so a list's scores are
 * the same numbers `scoreAll` gives for those items — however the list was sampled. Throws a
 * RangeError when the teachers disagree on the catalogue or the weights do not match them.
 * @example
 * ```ts
 * const both = ensembleTeacher([teacherMf, assistant], [0.5, 0.5]);
 * ```
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
  const stats: CatalogueStats[] = teachers.map(() => new Map());

  /** Teacher k's mean and 1/std per user, as `[B, 1]` columns (computing the users not yet seen). */
  const columns = (k: number, users: Int32Array): [tf.Tensor2D, tf.Tensor2D] => {
    const known = stats[k]!;
    const missing = Int32Array.from(new Set(Array.from(users).filter((u) => !known.has(u))));
    if (missing.length > 0) {
      const [means, variances] = tf.tidy(() => {
        const { mean, variance } = tf.moments(teachers[k]!.scoreAll(missing), 1);
        return [mean, variance];
      });
      const m = means.dataSync();
      const v = variances.dataSync();
      tf.dispose([means, variances]);
      missing.forEach((u, i) => {
        known.set(u, [m[i]!, 1 / Math.sqrt(v[i]! + 1e-8)]);
      });
    }
    const mean = Float32Array.from(users, (u) => known.get(u)![0]);
    const scale = Float32Array.from(users, (u) => known.get(u)![1]);
    return [tf.tensor2d(mean, [users.length, 1]), tf.tensor2d(scale, [users.length, 1])];
  };
  const combine = (users: Int32Array, each: (t: Teacher) => tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(
      () =>
        tf.addN(
          teachers.map((t, k) => {
            const [mean, scale] = columns(k, users);
            return tf.mul(tf.mul(tf.sub(each(t), mean), scale), weights[k]!);
          }),
        ) as tf.Tensor2D,
    );
  return {
    name: teachers.map((t) => t.name).join("+"),
    architecture: "ensemble",
    numItems,
    parameterCount: teachers.reduce((n, t) => n + t.parameterCount, 0),
    // A row of the lists belongs to one user: its [B, 1] statistics broadcast over the row.
    scoreLists: (users, items, width, rows) => combine(users, (t) => t.scoreLists(users, items, width, rows)),
    scoreAll: (users) => combine(users, (t) => t.scoreAll(users)),
    ...(teachers.some((t) => t.batchOrder === "by-user") ? { batchOrder: "by-user" as const } : {}),
    // The members belong to the caller.
    dispose: () => undefined,
  };
};
