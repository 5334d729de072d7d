/**
 * Item scores as dot products of user vectors with an item embedding table, plus a per-item bias:
 * the output layer of every model whose item table is shared with its input (the tower, SASRec,
 * BERT4Rec). The table may carry extra rows past the catalogue (padding, [mask]).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Scores `[B, width]`: row `b`'s user vector (`users` `[B, d]`) against the items
 * `items[b·width … (b+1)·width)` of `table` (`[≥ numItems, d]`), plus `bias` (`[numItems]`).
 * @category Layers
 */
export const listDotScores = (
  users: tf.Tensor2D,
  table: tf.Tensor,
  bias: tf.Tensor,
  items: Int32Array,
  width: number,
): tf.Tensor2D =>
  tf.tidy(() => {
    const rows = users.shape[0];
    const ids = tf.tensor1d(items, "int32");
    const embeddings = tf.reshape(tf.gather(table, ids), [rows, width, users.shape[1]]);
    return tf.add(
      tf.sum(tf.mul(embeddings, tf.expandDims(users, 1)), 2),
      tf.reshape(tf.gather(bias, ids), [rows, width]),
    ) as tf.Tensor2D;
  });

/**
 * Scores `[B, numItems]` of user vectors against the first `numItems` rows of `table`, plus `bias`.
 * @category Layers
 */
export const catalogueDotScores = (
  users: tf.Tensor2D,
  table: tf.Tensor,
  bias: tf.Tensor,
  numItems: number,
): tf.Tensor2D =>
  tf.tidy(
    () =>
      tf.add(tf.matMul(users, tf.slice(table, [0, 0], [numItems, users.shape[1]]), false, true), bias) as tf.Tensor2D,
  );
