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
    scoreLists: (userIds, itemIds, width) =>
      tf.tidy(() => {
        const u = tf.gather(userTable, tf.tensor1d(userIds, "int32"));
        const itemIndex = tf.tensor1d(itemIds, "int32");
        const i = tf.reshape(tf.gather(itemTable, itemIndex), [userIds.length, width, dim]);
        const scores = tf.sum(tf.mul(i, tf.expandDims(u, 1)), 2);
        return (
          biases === undefined
            ? scores
            : tf.add(scores, tf.reshape(tf.gather(biases, itemIndex), [userIds.length, width]))
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
