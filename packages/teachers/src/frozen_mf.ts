/**
 * A trained matrix factorization, frozen as a teacher (the "wide MF" teacher, e.g. d = 128).
 * @module
 */
import type { MatrixFactorization } from "@kdrec/students";
import * as tf from "@tensorflow/tfjs-core";
import type { Teacher } from "./teacher.js";

/**
 * Uploads the model's tables to the backend once; later training of `model` does not affect the
 * teacher. Dispose it when the distillation is over.
 * @category Teachers
 */
export const frozenMatrixFactorization = (model: MatrixFactorization, name = `mf-${model.config.dim}`): Teacher => {
  const { users, items, dim } = model.config;
  // Copies: the cpu backend keeps the TypedArray it is given, so training would leak into the teacher.
  const userTable = tf.tensor2d(model.userFactors.slice(), [users, dim]);
  const itemTable = tf.tensor2d(model.itemFactors.slice(), [items, dim]);
  const biases = model.itemBiases === undefined ? undefined : tf.tensor1d(model.itemBiases.slice());
  return {
    name,
    architecture: "mf",
    numItems: items,
    parameterCount: model.parameterCount,
    // One [B, items] product and a per-row gather: cheaper than gathering B·width item rows of
    // the (wide) teacher once lists are longer than a few items.
    scoreLists: (userIds, itemIds, width) =>
      tf.tidy(() => {
        const all = tf.matMul(tf.gather(userTable, tf.tensor1d(userIds, "int32")), itemTable, false, true);
        const lists = tf.gather(all, tf.tensor2d(itemIds, [userIds.length, width], "int32"), 1, 1);
        return (
          biases === undefined
            ? lists
            : tf.add(lists, tf.gather(biases, tf.tensor2d(itemIds, [userIds.length, width], "int32")))
        ) as tf.Tensor2D;
      }),
    scoreAll: (userIds) =>
      tf.tidy(() => {
        const scores = tf.matMul(tf.gather(userTable, tf.tensor1d(userIds, "int32")), itemTable, false, true);
        return (biases === undefined ? scores : tf.add(scores, biases)) as tf.Tensor2D;
      }),
    dispose: () => tf.dispose([userTable, itemTable, ...(biases === undefined ? [] : [biases])]),
  };
};
