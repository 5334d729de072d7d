// Each loss against a plain float64 reference: its value, and its gradient against central
// finite differences of the reference, on every backend.
import { seededRandom } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { binaryCrossEntropy } from "./binary_cross_entropy.js";
import { bprLoss, rowBprLoss } from "./bpr.js";
import { featureAlignment } from "./feature_alignment.js";
import { meanSquaredError } from "./mse.js";
import { plackettLuceLoss } from "./plackett_luce.js";
import { rankingDistillation, rankWeights } from "./ranking_distillation.js";
import { sampledSoftmaxCrossEntropy } from "./sampled_softmax.js";
import { softBinaryCrossEntropy, softLabelCrossEntropy } from "./soft_label_cross_entropy.js";

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logSumExp = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = (flat: number[], width: number) =>
  Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width));

const random = (n: number, seed: number, scale = 1) => {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => rng.normal() * scale);
};

/** Central differences of a float64 reference. */
const numericGradient = (f: (x: number[]) => number, x: number[], h = 1e-5): number[] =>
  x.map((_, i) => {
    const up = [...x];
    const down = [...x];
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });

/** Checks a tensor loss of one input against its reference, in value and gradient. */
const check = (shape: number[], x: number[], loss: (t: tf.Tensor) => tf.Scalar, reference: (x: number[]) => number) => {
  const before = tf.memory().numTensors;
  const input = tf.tensor(x, shape);
  const value = tf.tidy(() => loss(input));
  expect(value.dataSync()[0]).toBeCloseTo(reference(x), 4);
  const gradient = tf.grad((t: tf.Tensor) => loss(t))(input);
  const expected = numericGradient(reference, x);
  expect(Array.from(gradient.dataSync())).toEqual(expected.map((g) => expect.closeTo(g, 4)));
  tf.dispose([input, value, gradient]);
  expect(tf.memory().numTensors).toBe(before);
};

describeEachBackend("losses", () => {
  const B = 4;

  it("bprLoss = mean softplus(s⁻ − s⁺), one or many negatives", () => {
    const neg = random(B, 2);
    check(
      [B],
      random(B, 1),
      (p) => bprLoss(p as tf.Tensor1D, tf.tensor1d(neg)),
      (p) => mean(p.map((s, b) => softplus(neg[b]! - s))),
    );
    const negs = random(B * 3, 3);
    check(
      [B * 3],
      negs,
      (n) => bprLoss(tf.tensor1d(neg), tf.reshape(n, [B, 3]) as tf.Tensor2D),
      (n) => mean(n.map((s, k) => softplus(s - neg[Math.floor(k / 3)]!))),
    );
    // Stays finite where a naive log(sigmoid) would not.
    expect(bprLoss(tf.tensor1d([-200]), tf.tensor1d([200])).dataSync()[0]).toBeCloseTo(400, 3);
  });

  it("rowBprLoss reads the positive and the negative from the first two columns of list rows", () => {
    for (const width of [2, 5])
      for (const negativeFirst of [false, true])
        check(
          [B * width],
          random(B * width, 7 + width),
          (x) => rowBprLoss(tf.reshape(x, [B, width]) as tf.Tensor2D, negativeFirst),
          (x) => mean(rows(x, width).map(([a, b]) => (negativeFirst ? softplus(a! - b!) : softplus(b! - a!)))),
        );
  });

  it("binaryCrossEntropy on logits, with hard and soft targets", () => {
    const y = [1, 0, 0.3, 0.9];
    check(
      [B],
      random(B, 4, 3),
      (x) => binaryCrossEntropy(x, tf.tensor1d(y)),
      (x) => mean(x.map((s, i) => -(y[i]! * Math.log(sigmoid(s)) + (1 - y[i]!) * Math.log(1 - sigmoid(s))))),
    );
  });

  it("sampledSoftmaxCrossEntropy = −log softmax at the positive", () => {
    const sampled = random(B * 5, 6);
    check(
      [B],
      random(B, 5),
      (p) => sampledSoftmaxCrossEntropy(p as tf.Tensor1D, tf.tensor2d(sampled, [B, 5])),
      (p) => mean(p.map((s, b) => logSumExp([s, ...sampled.slice(b * 5, b * 5 + 5)]) - s)),
    );
  });

  it("softLabelCrossEntropy = T² · cross-entropy of softened distributions; zero gradient at the teacher", () => {
    const teacher = random(B * 6, 8, 2);
    for (const T of [0.5, 1, 3]) {
      check(
        [B, 6],
        random(B * 6, 7, 2),
        (s) => softLabelCrossEntropy(s as tf.Tensor2D, tf.tensor2d(teacher, [B, 6]), T),
        (s) =>
          mean(
            rows(s, 6).map((row, b) => {
              const t = teacher.slice(b * 6, b * 6 + 6).map((v) => v / T);
              const lt = logSumExp(t);
              const ls = logSumExp(row.map((v) => v / T));
              return -t.reduce((acc, v, j) => acc + Math.exp(v - lt) * (row[j]! / T - ls), 0);
            }),
          ) *
          T *
          T,
      );
    }
    const atTeacher = tf.grad((s: tf.Tensor) =>
      softLabelCrossEntropy(s as tf.Tensor2D, tf.tensor2d(teacher, [B, 6]), 2),
    )(tf.tensor2d(teacher, [B, 6]));
    expect(Math.max(...Array.from(atTeacher.dataSync(), Math.abs))).toBeLessThan(1e-6);
    expect(() => softLabelCrossEntropy(tf.zeros([1, 2]) as tf.Tensor2D, tf.zeros([1, 2]) as tf.Tensor2D, 0)).toThrow(
      /temperature must be > 0/,
    );
  });

  it("softBinaryCrossEntropy matches σ(s/T) to σ(t/T), T² scaled", () => {
    const teacher = random(B, 10, 2);
    const T = 2;
    check(
      [B],
      random(B, 9, 2),
      (s) => softBinaryCrossEntropy(s, tf.tensor1d(teacher), T),
      (s) =>
        T *
        T *
        mean(
          s.map((v, i) => {
            const y = sigmoid(teacher[i]! / T);
            return softplus(v / T) - (v / T) * y;
          }),
        ),
    );
  });

  it("meanSquaredError", () => {
    const target = random(B, 12);
    check(
      [B],
      random(B, 11),
      (x) => meanSquaredError(x, tf.tensor1d(target)),
      (x) => mean(x.map((v, i) => (v - target[i]!) ** 2)),
    );
  });

  it("featureAlignment: L2 and cosine distance through the projection, gradient to the projection", () => {
    const student = random(B * 2, 13);
    const teacher = random(B * 3, 14);
    const project = (p: number[]) =>
      rows(student, 2).map((s) => [0, 1, 2].map((j) => s[0]! * p[j]! + s[1]! * p[3 + j]!));
    check(
      [2, 3],
      random(6, 15),
      (p) => featureAlignment(tf.tensor2d(student, [B, 2]), tf.tensor2d(teacher, [B, 3]), p as tf.Tensor2D),
      (p) => mean(project(p).map((row, b) => row.reduce((acc, v, j) => acc + (v - teacher[b * 3 + j]!) ** 2, 0))),
    );
    const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    check(
      [2, 3],
      random(6, 16),
      (p) =>
        featureAlignment(tf.tensor2d(student, [B, 2]), tf.tensor2d(teacher, [B, 3]), p as tf.Tensor2D, {
          distance: "cosine",
        }),
      (p) =>
        mean(
          project(p).map((row, b) => {
            const t = teacher.slice(b * 3, b * 3 + 3);
            return 1 - row.reduce((acc, v, j) => acc + v * t[j]!, 0) / (norm(row) * norm(t));
          }),
        ),
    );
    expect(() =>
      featureAlignment(
        tf.zeros([2, 2]) as tf.Tensor2D,
        tf.zeros([2, 3]) as tf.Tensor2D,
        tf.zeros([3, 3]) as tf.Tensor2D,
      ),
    ).toThrow(/projection is 3x3, expected 2x3/);
    // A zero student row (nothing to read) has a finite gradient under the cosine distance.
    const grads = tf.grad((x: tf.Tensor) =>
      featureAlignment(x as tf.Tensor2D, tf.ones([2, 3]) as tf.Tensor2D, tf.ones([2, 3]) as tf.Tensor2D, {
        distance: "cosine",
      }),
    )(
      tf.tensor2d([
        [0, 0],
        [1, 2],
      ]),
    );
    expect(Array.from(grads.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it("rankingDistillation: position-weighted −log σ of the teacher's top items, pointwise or against negatives", () => {
    const w = Array.from(rankWeights(5, 2));
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(w[0]! / w[1]!).toBeCloseTo(Math.exp(0.5), 5);
    check(
      [B, 5],
      random(B * 5, 17),
      (s) => rankingDistillation(s as tf.Tensor2D, tf.tensor1d(w)),
      (s) => mean(rows(s, 5).map((row) => row.reduce((acc, v, r) => acc + w[r]! * softplus(-v), 0))),
    );
    const neg = random(B, 18);
    check(
      [B, 5],
      random(B * 5, 19),
      (s) => rankingDistillation(s as tf.Tensor2D, tf.tensor1d(w), tf.tensor1d(neg)),
      (s) => mean(rows(s, 5).map((row, b) => row.reduce((acc, v, r) => acc + w[r]! * softplus(neg[b]! - v), 0))),
    );
  });

  it("plackettLuceLoss: −log PL likelihood of the teacher's order, with and without items below", () => {
    const K = 4;
    const pl = (row: number[], tail: number[]) =>
      row.reduce((acc, v, r) => acc + logSumExp([...row.slice(r), ...tail]) - v, 0);
    check(
      [B, K],
      random(B * K, 20, 2),
      (s) => plackettLuceLoss(s as tf.Tensor2D),
      (s) => mean(rows(s, K).map((row) => pl(row, []))),
    );
    const below = random(B * 3, 21, 2);
    check(
      [B, K],
      random(B * K, 22, 2),
      (s) => plackettLuceLoss(s as tf.Tensor2D, tf.tensor2d(below, [B, 3])),
      (s) => mean(rows(s, K).map((row, b) => pl(row, below.slice(b * 3, b * 3 + 3)))),
    );
    // The teacher's order scores better than its reverse.
    const ordered = plackettLuceLoss(tf.tensor2d([[3, 2, 1, 0]])).dataSync()[0]!;
    const reversed = plackettLuceLoss(tf.tensor2d([[0, 1, 2, 3]])).dataSync()[0]!;
    expect(ordered).toBeLessThan(reversed);
  });
});
