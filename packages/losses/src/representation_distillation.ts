/**
 * Representation distillation: losses over the vectors the student and the teacher hold for
 * users and items, not over their scores.
 *
 * - Topology distillation (Kang et al., KDD 2021): the student keeps the *relations* among a
 *   batch's entities in the teacher's space — their cosine similarities — whatever its width
 *   ({@link topologyLoss}, full: FTD), or, when it is too small for all of them, the relations
 *   within groups of similar entities and between entities and the groups' prototypes
 *   ({@link hierarchicalTopologyLoss}: HTD).
 * - Distillation experts (Kang et al., CIKM 2020, DE-RRD's DE): a few small experts map the
 *   student's vector into the teacher's space, one chosen per entity by a Gumbel-softmax over a
 *   gate that reads the teacher's vector ({@link gumbelSoftmax}, {@link expertAlignmentLoss}).
 *
 * kdrec's forms are means (over entities, pairs) where the papers' are sums, so a weight does
 * not depend on the batch size.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

// sqrt(Σx² + ε): the gradient stays finite at a zero row.
const unitRows = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;

/**
 * Cosine similarities `[m, n]` between the rows of `a` `[m, d]` and of `b` `[n, d]` (default `a`).
 * @example
 * ```ts
 * cosineSimilarities(tf.tensor2d([[1, 0], [1, 1]])); // [[1, 0.707], [0.707, 1]]
 * ```
 * @category Losses
 */
export const cosineSimilarities = (a: tf.Tensor2D, b: tf.Tensor2D = a): tf.Tensor2D =>
  tf.tidy(() => tf.matMul(unitRows(a), unitRows(b), false, true));

/** `x` as a constant: its value, with no gradient flowing back into it. */
const constant = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Full topology distillation (FTD): the mean over all pairs of a batch's entities of the squared
 * difference between their cosine similarity in the student's space (`[n, ds]`) and in the
 * teacher's (`[n, dt]`). The widths may differ, and any rotation or scaling of the student's
 * space leaves it unchanged: only the relations count.
 * @example
 * ```ts
 * const loss = topologyLoss(studentRows, teacherRows); // 0 when the similarities agree
 * ```
 * @category Losses
 */
export const topologyLoss = (student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar => {
  if (student.shape[0] !== teacher.shape[0])
    throw new RangeError(`topologyLoss: ${student.shape[0]} student and ${teacher.shape[0]} teacher entities`);
  return tf.tidy(() => tf.mean(tf.squaredDifference(cosineSimilarities(student), cosineSimilarities(teacher))));
};

/**
 * Hierarchical topology distillation (HTD), for a student too small to keep every relation:
 * entities are in `groups` (one group id per entity, from the teacher's space); the loss is
 * (a) the mean squared similarity difference over pairs *in the same group* plus (b) the same
 * over (group prototype, entity) pairs, a prototype being its members' mean vector (in the
 * student's space a constant of the step, as in the paper).
 * @example
 * ```ts
 * const loss = hierarchicalTopologyLoss(studentRows, teacherRows, Int32Array.of(0, 0, 1, 1));
 * ```
 * @category Losses
 */
export const hierarchicalTopologyLoss = (student: tf.Tensor2D, teacher: tf.Tensor2D, groups: Int32Array): tf.Scalar => {
  const n = student.shape[0];
  if (teacher.shape[0] !== n || groups.length !== n)
    throw new RangeError(
      `hierarchicalTopologyLoss: ${n} student, ${teacher.shape[0]} teacher entities and ${groups.length} group ids`,
    );
  // The groups present, renumbered 0…G-1; the averaging matrix [G, n] and the same-group mask [n, n].
  const present = [...new Set(groups)].sort((a, b) => a - b);
  const index = new Map(present.map((g, k) => [g, k]));
  const G = present.length;
  const averaging = new Float32Array(G * n);
  const sizes = new Float32Array(G);
  for (const g of groups) sizes[index.get(g)!]! += 1;
  groups.forEach((g, e) => {
    const k = index.get(g)!;
    averaging[k * n + e] = 1 / sizes[k]!;
  });
  const sameGroup = new Float32Array(n * n);
  let samePairs = 0;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      if (groups[a] === groups[b]) {
        sameGroup[a * n + b] = 1;
        samePairs += 1;
      }
  return tf.tidy(() => {
    const mask = tf.tensor2d(sameGroup, [n, n]);
    const entityLevel = tf.div(
      tf.sum(tf.mul(tf.squaredDifference(cosineSimilarities(student), cosineSimilarities(teacher)), mask)),
      samePairs,
    );
    const average = tf.tensor2d(averaging, [G, n]);
    const studentPrototypes: tf.Tensor2D = tf.matMul(average, constant(student) as tf.Tensor2D);
    const teacherPrototypes: tf.Tensor2D = tf.matMul(average, teacher);
    const groupLevel = tf.mean(
      tf.squaredDifference(
        cosineSimilarities(studentPrototypes, student),
        cosineSimilarities(teacherPrototypes, teacher),
      ),
    );
    return tf.add(entityLevel, groupLevel) as tf.Scalar;
  });
};

/**
 * The Gumbel-softmax relaxation of a draw from `probabilities` `[n, K]`: softmax((log p + g) / T)
 * with Gumbel(0, 1) `noise` `[n, K]` (pass −log(−log u) of uniform draws: the caller owns the
 * randomness, so steps are reproducible). As `temperature` → 0 each row becomes one-hot at
 * argmax(log p + g).
 * @example
 * ```ts
 * const selection = gumbelSoftmax(gate, noise, 0.1);
 * ```
 * @category Losses
 */
export const gumbelSoftmax = (probabilities: tf.Tensor2D, noise: tf.Tensor2D, temperature: number): tf.Tensor2D =>
  tf.tidy(() => tf.softmax(tf.div(tf.add(tf.log(tf.add(probabilities, 1e-10)), noise), temperature)) as tf.Tensor2D);

/**
 * Distillation experts' loss: the mean over entities of the squared distance between the
 * teacher's vector `[n, dt]` and the selection-weighted sum of the experts' outputs
 * (`outputs` `[K, n, dt]`: expert k's map of each entity's student vector; `selection` `[n, K]`).
 * @example
 * ```ts
 * const loss = expertAlignmentLoss(outputs, gumbelSoftmax(gate, noise, 0.1), teacherRows);
 * ```
 * @category Losses
 */
export const expertAlignmentLoss = (outputs: tf.Tensor3D, selection: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar => {
  const [K, n, dt] = outputs.shape;
  if (selection.shape[0] !== n || selection.shape[1] !== K || teacher.shape[0] !== n || teacher.shape[1] !== dt)
    throw new RangeError(
      `expertAlignmentLoss: outputs ${outputs.shape.join("x")}, selection ${selection.shape.join("x")}, teacher ${teacher.shape.join("x")}`,
    );
  return tf.tidy(() => {
    // [K, n, 1] weights over the experts, summed out: [n, dt].
    const weights = tf.expandDims(tf.transpose(selection), 2);
    const mapped = tf.sum(tf.mul(outputs, weights), 0);
    return tf.mean(tf.sum(tf.squaredDifference(mapped, teacher), 1)) as tf.Scalar;
  });
};
