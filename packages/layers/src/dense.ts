/**
 * An affine map over the last axis, for tensors of any rank.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * A dense layer's kernel `[in, out]` and bias `[out]`.
 * @category Layers
 */
export interface DenseParams {
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
}

/**
 * `x · kernel + bias` over the last axis (`[..., in]` → `[..., out]`).
 * @category Layers
 */
export const dense = (x: tf.Tensor, params: DenseParams): tf.Tensor =>
  tf.tidy(() => {
    const [inputs, outputs] = params.kernel.shape;
    const flat = tf.reshape(x, [-1, inputs]);
    const y = tf.add(tf.matMul(flat as tf.Tensor2D, params.kernel), params.bias);
    return tf.reshape(y, [...x.shape.slice(0, -1), outputs]);
  });
