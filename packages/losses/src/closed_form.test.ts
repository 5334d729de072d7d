// Each closed form against its TF.js twin: the same value, and the same gradient as TF.js derives
// by autodiff (the twins themselves are checked against finite differences in losses.test.ts).
import { seededRandom } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { rowBprLoss } from "./bpr.js";
import {
  type ClosedFormLoss,
  plackettLuceGradient,
  rankingDistillationGradient,
  rowBprGradient,
  softBinaryCrossEntropyGradient,
  softLabelGradient,
  squaredErrorGradient,
} from "./closed_form.js";
import { lossTerm, mixtureGradient, mixtureLoss, withClosedForm } from "./mixture.js";
import { meanSquaredError } from "./mse.js";
import { plackettLuceLoss } from "./plackett_luce.js";
import { rankingDistillation, rankWeights } from "./ranking_distillation.js";
import { rankDiscrepancyWeights, softBinaryCrossEntropy, softLabelCrossEntropy } from "./soft_label_cross_entropy.js";

const ROWS = 7;
const WIDTH = 13;

const randomScores = (seed: number, scale = 2) => {
  const rng = seededRandom(seed);
  return Float32Array.from({ length: ROWS * WIDTH }, () => rng.normal() * scale);
};

/** TF.js's value and gradient of `loss` at the student's scores (the teacher's held fixed). */
const autodiff = (student: Float32Array, teacher: Float32Array, loss: (s: tf.Tensor2D, t: tf.Tensor2D) => tf.Scalar) =>
  tf.tidy(() => {
    const target = tf.tensor2d(teacher, [ROWS, WIDTH]);
    const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => loss(s as tf.Tensor2D, target))(
      tf.tensor2d(student, [ROWS, WIDTH]),
    );
    return { value: value.dataSync()[0]!, gradient: grad.dataSync() as Float32Array };
  });

const closed = (student: Float32Array, teacher: Float32Array, loss: ClosedFormLoss, weight = 1) => {
  const gradient = new Float32Array(student.length);
  const value = loss({ rows: ROWS, width: WIDTH, student, teacher }, weight, gradient);
  return { value, gradient };
};

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) => {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < actual.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  expect(worst).toBeLessThan(tolerance);
};

const slice = (s: tf.Tensor2D, first: number, count: number) => tf.slice(s, [0, first], [-1, count]) as tf.Tensor2D;

describeEachBackend("closed-form gradients", () => {
  const student = randomScores(1);
  const teacher = randomScores(2, 3);

  const cases: ReadonlyArray<[string, ClosedFormLoss, (s: tf.Tensor2D, t: tf.Tensor2D) => tf.Scalar]> = [
    ["bpr", rowBprGradient(), (s) => rowBprLoss(s)],
    ["bpr, negative first", rowBprGradient(true), (s) => rowBprLoss(s, true)],
    [
      "soft-label cross-entropy, T = 0.5",
      softLabelGradient(1, 11, 0.5),
      (s, t) => softLabelCrossEntropy(slice(s, 1, 11), slice(t, 1, 11), 0.5),
    ],
    ["soft-label cross-entropy, T = 3", softLabelGradient(0, WIDTH, 3), (s, t) => softLabelCrossEntropy(s, t, 3)],
    [
      "soft-label cross-entropy weighted by rank discrepancy, T = 2",
      softLabelGradient(1, 11, 2, (scores) =>
        rankDiscrepancyWeights(scores.student, scores.teacher!, ROWS, WIDTH, 1, 11, 0.5),
      ),
      (s, t) =>
        softLabelCrossEntropy(
          slice(s, 1, 11),
          slice(t, 1, 11),
          2,
          tf.tensor2d(rankDiscrepancyWeights(student, teacher, ROWS, WIDTH, 1, 11, 0.5), [ROWS, 11]),
        ),
    ],
    ["mean squared error", squaredErrorGradient, (s, t) => meanSquaredError(s, t)],
    [
      "ranking distillation",
      rankingDistillationGradient(2, rankWeights(10, 5), 1),
      (s) => rankingDistillation(slice(s, 2, 10), tf.tensor1d(rankWeights(10, 5)), tf.reshape(slice(s, 1, 1), [-1])),
    ],
    ["Plackett–Luce over the top 6", plackettLuceGradient(2, 6, 0), (s) => plackettLuceLoss(slice(s, 2, 6))],
    [
      "soft binary cross-entropy, T = 2",
      softBinaryCrossEntropyGradient(2, 11, 2),
      (s, t) => softBinaryCrossEntropy(slice(s, 2, 11), slice(t, 2, 11), 2),
    ],
    [
      "Plackett–Luce over the top 5 with 4 items below",
      plackettLuceGradient(2, 5, 4),
      (s) => plackettLuceLoss(slice(s, 2, 5), slice(s, 7, 4)),
    ],
  ];

  for (const [name, closedForm, twin] of cases) {
    it(`${name}: the value and the gradient of its TF.js twin`, () => {
      const expected = autodiff(student, teacher, twin);
      const actual = closed(student, teacher, closedForm);
      expect(actual.value).toBeCloseTo(expected.value, 5);
      expectClose(actual.gradient, expected.gradient, 1e-6);
      // The weight scales the gradient, not the value; gradients add up.
      const twice = closed(student, teacher, closedForm, 2);
      expect(twice.value).toBeCloseTo(expected.value, 5);
      expectClose(
        twice.gradient,
        expected.gradient.map((g) => 2 * g),
        2e-6,
      );
    });
  }

  it("each closed form describes itself to list kernels, except soft labels with weighted targets", () => {
    expect(rowBprGradient(true).kernel).toEqual([{ term: { kind: "bpr", positive: 1, negative: 0 }, scale: 1 }]);
    expect(softLabelGradient(1, 11, 0.5).kernel).toEqual([
      { term: { kind: "soft-label", first: 1, count: 11, temperature: 0.5 }, scale: 1 },
    ]);
    expect(squaredErrorGradient.kernel).toEqual([{ term: { kind: "squared-error" }, scale: 1 }]);
    expect(rankingDistillationGradient(2, rankWeights(3, 5), 1).kernel).toEqual([
      { term: { kind: "ranking", first: 2, negative: 1, rankWeights: rankWeights(3, 5) }, scale: 1 },
    ]);
    expect(plackettLuceGradient(2, 5, 4).kernel).toEqual([
      { term: { kind: "plackett-luce", first: 2, count: 5, below: 4 }, scale: 1 },
    ]);
    expect(softBinaryCrossEntropyGradient(2, 11, 2).kernel).toEqual([
      { term: { kind: "soft-bce", first: 2, count: 11, temperature: 2 }, scale: 1 },
    ]);
    expect(softLabelGradient(1, 11, 2, () => new Float32Array(ROWS * 11)).kernel).toBeUndefined();
  });

  it("a mixture in closed form equals mixtureLoss differentiated by TF.js", () => {
    const terms = [
      withClosedForm(
        lossTerm("bpr", (s: { student: tf.Tensor2D; teacher: tf.Tensor2D }) => rowBprLoss(s.student, true), 0.3),
        () => rowBprGradient(true),
      ),
      withClosedForm(
        lossTerm(
          "soft-label-ce",
          (s: { student: tf.Tensor2D; teacher: tf.Tensor2D }, progress) =>
            softLabelCrossEntropy(slice(s.student, 1, 12), slice(s.teacher, 1, 12), 1 + progress.epoch),
          0.7,
        ),
        (progress) => softLabelGradient(1, 12, 1 + progress.epoch),
      ),
    ];
    const progress = { epoch: 1, round: 0 };
    const expected = autodiff(
      student,
      teacher,
      (s, t) => mixtureLoss(terms, { student: s, teacher: t }, progress).total,
    );
    const gradient = new Float32Array(student.length);
    const mixture = mixtureGradient(terms, { rows: ROWS, width: WIDTH, student, teacher }, progress, gradient);
    expect(mixture.total).toBeCloseTo(expected.value, 5);
    expect(Object.keys(mixture.parts)).toEqual(["bpr", "soft-label-ce"]);
    expectClose(gradient, expected.gradient, 1e-6);
  });

  it("a term without a closed form is refused by name", () => {
    const terms = [lossTerm("opaque", () => tf.scalar(0))];
    expect(() =>
      mixtureGradient(
        terms,
        { rows: 1, width: 1, student: new Float32Array(1) },
        { epoch: 0, round: 0 },
        new Float32Array(1),
      ),
    ).toThrow(/opaque has no closed form/);
  });

  it("rank-discrepancy weights: only candidates the student ranks below the teacher weigh, more the further below", () => {
    // Teacher order: 0, 1, 2, 3, 4. Student order: 3, 0, 4, 1, 2 (item 2 falls 2 places, 1 falls 2, 4 rises 0).
    const teacherRow = Float32Array.of(5, 4, 3, 2, 1);
    const studentRow = Float32Array.of(4, 2, 1, 5, 3);
    const weights = rankDiscrepancyWeights(studentRow, teacherRow, 1, 5, 0, 5, 1);
    // Ranks (teacher, student): 0 (0, 1), 1 (1, 3), 2 (2, 4), 3 (3, 0), 4 (4, 2).
    expect(weights[3]).toBe(0); // the student ranks it above the teacher: no weight
    expect(weights[4]).toBe(0);
    expect(weights[1]).toBeCloseTo(weights[2]!, 6); // both fall two places
    expect(weights[1]!).toBeGreaterThan(weights[0]!); // falling two places weighs more than one
    expect(weights[0]!).toBeGreaterThan(0);
    expect(Array.from(weights).reduce((a, b) => a + b, 0)).toBeCloseTo(5, 5); // mean 1
    // A student that agrees with the teacher: every weight 1 (plain soft labels).
    expect(Array.from(rankDiscrepancyWeights(teacherRow, teacherRow, 1, 5, 0, 5, 1))).toEqual([1, 1, 1, 1, 1]);
  });
});
