/**
 * An external teacher: any function that scores users against every item (a model trained
 * elsewhere, served or loaded by the caller). Item lists are read from its full scores.
 * @module
 */

import type { Teacher } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Wraps `scoreAll` (returning `[B, numItems]`) as a {@link Teacher}.
 * @example
 * ```ts
 * const teacher = externalTeacher("sasrec", 1682, (users) => mySasrec.predict(users));
 * ```
 * @category Teachers
 */
export const externalTeacher = (
  name: string,
  numItems: number,
  scoreAll: (users: Int32Array) => tf.Tensor2D,
  parameterCount = 0,
): Teacher => ({
  name,
  architecture: "external",
  numItems,
  parameterCount,
  scoreAll,
  scoreLists: (users, items, width) =>
    tf.tidy(() => tf.gather(scoreAll(users), tf.tensor2d(items, [users.length, width], "int32"), 1, 1) as tf.Tensor2D),
  dispose: () => undefined,
});
