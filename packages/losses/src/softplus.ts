/**
 * The numerically stable softplus that every log-sigmoid loss here is built on.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

// The gradient is given directly (softplus′ = sigmoid): the one TF.js derives through relu and
// abs is a dozen small ops, and on small batches their bookkeeping costs more than the arithmetic.
const softplusWithSigmoidGradient = tf.customGrad((x, save) => {
  const input = x as tf.Tensor;
  (save as tf.GradSaveFunc)([input]);
  return {
    value: tf.add(tf.relu(input), tf.log1p(tf.exp(tf.neg(tf.abs(input))))),
    gradFunc: (dy, [saved]) => tf.mul(dy, tf.sigmoid(saved!)),
  };
});

/**
 * softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)) so it stays finite for large
 * |x|; its gradient is sigmoid(x). Written out rather than `tf.logSigmoid` (−softplus(−x)), which
 * crashed inside `optimizer.minimize` with tfjs-core 4.22 on the native backend.
 * @category Losses
 */
export const stableSoftplus = (x: tf.Tensor): tf.Tensor => softplusWithSigmoidGradient(x);
