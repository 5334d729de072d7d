// Representation distillation's defining properties, on every backend: topology losses see only
// relations (any rotation or scaling of the student's space, any width, leaves them unchanged);
// HTD is FTD restricted to groups plus entity-to-prototype relations, with prototypes that pass
// no gradient; the Gumbel-softmax becomes the argmax as T → 0; the experts' loss is the distance
// to the chosen expert's output.
import { seededRandom } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import {
  cosineSimilarities,
  expertAlignmentLoss,
  gumbelSoftmax,
  hierarchicalTopologyLoss,
  topologyLoss,
} from "./representation_distillation.js";

const normal = (rows: number, cols: number, seed: number) => {
  const rng = seededRandom(seed);
  return tf.tensor2d(
    Array.from({ length: rows * cols }, () => rng.normal()),
    [rows, cols],
  );
};
const value = (x: tf.Tensor) => x.dataSync()[0]!;

describeEachBackend("representation distillation losses", () => {
  it("topology: zero for a rotated, scaled, wider copy of the teacher's space; positive when relations differ", () => {
    tf.tidy(() => {
      const teacher = normal(12, 3, 1);
      // A 5-wide student: the teacher's vectors through a map with orthonormal columns, scaled.
      const q = tf.linalg.qr(normal(5, 3, 2))[0] as tf.Tensor2D; // [5, 3], orthonormal columns
      const student = tf.mul(tf.matMul(teacher, q, false, true), 3.5) as tf.Tensor2D;
      expect(value(topologyLoss(student, teacher))).toBeLessThan(1e-10);
      // Shuffle the student's rows: the entities keep their vectors' set but lose their relations.
      const shuffled = tf.gather(student, tf.tensor1d([3, 0, 1, 2, 5, 4, 7, 6, 9, 8, 11, 10], "int32")) as tf.Tensor2D;
      expect(value(topologyLoss(shuffled, teacher))).toBeGreaterThan(0.05);
      // The mean over pairs of the squared similarity difference.
      const a = cosineSimilarities(shuffled).arraySync();
      const b = cosineSimilarities(teacher).arraySync();
      let sum = 0;
      for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) sum += (a[i]![j]! - b[i]![j]!) ** 2;
      expect(value(topologyLoss(shuffled, teacher))).toBeCloseTo(sum / 144, 5);
    });
  });

  it("hierarchical topology: one group per entity is the prototype term alone; pairs across groups do not count", () => {
    tf.tidy(() => {
      const student = normal(6, 2, 3);
      const teacher = normal(6, 4, 4);
      const full = value(topologyLoss(student, teacher));
      // Every entity its own group: the entity level is 0 (self-pairs), prototypes are the
      // entities themselves, so the group level is FTD.
      const own = Int32Array.from([0, 1, 2, 3, 4, 5]);
      expect(value(hierarchicalTopologyLoss(student, teacher, own))).toBeCloseTo(full, 5);
      // Two groups: moving an entity of group 1 relative to group 0's members changes only the
      // group level and pairs inside its own group; the loss matches the definition computed here.
      const groups = Int32Array.from([0, 0, 0, 1, 1, 1]);
      const s = cosineSimilarities(student).arraySync();
      const t = cosineSimilarities(teacher).arraySync();
      let within = 0;
      let pairs = 0;
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 6; j++)
          if (groups[i] === groups[j]) {
            within += (s[i]![j]! - t[i]![j]!) ** 2;
            pairs += 1;
          }
      const average = tf.tensor2d([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3], [2, 6]);
      const prototypeGap = tf.mean(
        tf.squaredDifference(
          cosineSimilarities(tf.matMul(average, student), student),
          cosineSimilarities(tf.matMul(average, teacher), teacher),
        ),
      );
      expect(value(hierarchicalTopologyLoss(student, teacher, groups))).toBeCloseTo(
        within / pairs + value(prototypeGap),
        5,
      );
    });
  });

  it("hierarchical topology: the prototypes pass no gradient (the step holds them constant)", () => {
    tf.tidy(() => {
      const student = normal(4, 2, 5);
      const teacher = normal(4, 3, 6);
      const groups = Int32Array.from([0, 0, 1, 1]);
      const grad = tf.grad((s: tf.Tensor) => hierarchicalTopologyLoss(s as tf.Tensor2D, teacher, groups))(student);
      // The same loss with the prototypes passed in as constants, differentiated by finite differences.
      const constantPrototypes = (s: tf.Tensor2D, prototypes: tf.Tensor2D) => {
        const mask = tf.tensor2d([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1], [4, 4]);
        const within = tf.div(
          tf.sum(tf.mul(tf.squaredDifference(cosineSimilarities(s), cosineSimilarities(teacher)), mask)),
          8,
        );
        const average = tf.tensor2d([0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5], [2, 4]);
        const group = tf.mean(
          tf.squaredDifference(
            cosineSimilarities(prototypes, s),
            cosineSimilarities(tf.matMul(average, teacher), teacher),
          ),
        );
        return value(tf.add(within, group));
      };
      const base = student.arraySync();
      const prototypes = tf.tensor2d([
        [(base[0]![0]! + base[1]![0]!) / 2, (base[0]![1]! + base[1]![1]!) / 2],
        [(base[2]![0]! + base[3]![0]!) / 2, (base[2]![1]! + base[3]![1]!) / 2],
      ]);
      const h = 1e-3;
      const numeric = base.map((row, i) =>
        row.map((_, j) => {
          const plus = base.map((r) => [...r]);
          const minus = base.map((r) => [...r]);
          plus[i]![j]! += h;
          minus[i]![j]! -= h;
          return (
            (constantPrototypes(tf.tensor2d(plus), prototypes) - constantPrototypes(tf.tensor2d(minus), prototypes)) /
            (2 * h)
          );
        }),
      );
      const analytic = grad.arraySync() as number[][];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) expect(analytic[i]![j]!).toBeCloseTo(numeric[i]![j]!, 2);
    });
  });

  it("Gumbel-softmax: rows sum to 1 and, as T → 0, pick argmax(log p + g)", () => {
    tf.tidy(() => {
      const p = tf.tensor2d([
        [0.7, 0.2, 0.1],
        [0.1, 0.1, 0.8],
      ]);
      const g = tf.tensor2d([
        [0, 2, 0],
        [0, 0, 0],
      ]);
      const soft = gumbelSoftmax(p, g, 1).arraySync();
      for (const row of soft) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // Row 0: log 0.2 + 2 > log 0.7, so the noise moves the choice to expert 1.
      const hard = gumbelSoftmax(p, g, 0.01).arraySync();
      expect(hard[0]![1]!).toBeGreaterThan(0.999);
      expect(hard[1]![2]!).toBeGreaterThan(0.999);
    });
  });

  it("experts' loss: with a one-hot selection, the squared distance to the chosen expert's output", () => {
    tf.tidy(() => {
      const outputs = tf.tensor3d([
        [
          [1, 0],
          [0, 1],
        ],
        [
          [2, 2],
          [5, 5],
        ],
      ]); // [K = 2, n = 2, dt = 2]
      const teacher = tf.tensor2d([
        [1, 1],
        [5, 4],
      ]);
      const selection = tf.tensor2d([
        [1, 0],
        [0, 1],
      ]);
      // Entity 0 by expert 0: (1−1)² + (1−0)² = 1; entity 1 by expert 1: 0 + 1 = 1; mean 1.
      expect(value(expertAlignmentLoss(outputs, selection, teacher))).toBeCloseTo(1, 6);
      // A half-and-half selection maps entity 0 to (1.5, 1): distance 0.25.
      const half = tf.tensor2d([
        [0.5, 0.5],
        [0, 1],
      ]);
      expect(value(expertAlignmentLoss(outputs, half, teacher))).toBeCloseTo((0.25 + 1) / 2, 6);
    });
  });
});
