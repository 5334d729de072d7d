/**
 * Feature alignment, FitNets-style hints (Romero et al., ICLR 2015): the student's features,
 * through a learned projection, should match the teacher's. The projection is a parameter the
 * strategy trains with the student; this loss only reads it.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Options of {@link featureAlignment}.
 * @category Losses
 */
export interface FeatureAlignmentOptions {
  /** `l2`: mean squared distance; `cosine`: mean of 1 − cosine similarity. Default `l2`. */
  readonly distance?: "l2" | "cosine";
  /** L2-normalise both sides per row before an `l2` distance (scale-free hints). Default false. */
  readonly normalize?: boolean;
}

// sqrt(Σx² + ε), not ‖x‖ + ε: the norm's gradient is NaN at a zero row (a student level with no
// history to read), this form's is 0.
const unitRows = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;

/**
 * Distance between `teacherFeatures` `[B, dt]` and `studentFeatures` `[B, ds]` · `projection`
 * `[ds, dt]` (pass a bias-free linear map; an identity when the widths already match).
 * @category Losses
 */
export const featureAlignment = (
  studentFeatures: tf.Tensor2D,
  teacherFeatures: tf.Tensor2D,
  projection: tf.Tensor2D,
  options: FeatureAlignmentOptions = {},
): tf.Scalar => {
  if (studentFeatures.shape[1] !== projection.shape[0] || teacherFeatures.shape[1] !== projection.shape[1]) {
    throw new RangeError(
      `featureAlignment: projection is ${projection.shape.join("x")}, expected ${studentFeatures.shape[1]}x${teacherFeatures.shape[1]}`,
    );
  }
  return tf.tidy(() => {
    const projected: tf.Tensor2D = tf.matMul(studentFeatures, projection);
    if (options.distance === "cosine") {
      return tf.mean(tf.sub(1, tf.sum(tf.mul(unitRows(projected), unitRows(teacherFeatures)), 1))) as tf.Scalar;
    }
    const [a, b] =
      options.normalize === true ? [unitRows(projected), unitRows(teacherFeatures)] : [projected, teacherFeatures];
    return tf.mean(tf.sum(tf.squaredDifference(a, b), 1)) as tf.Scalar;
  });
};
