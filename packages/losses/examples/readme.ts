import { column, initEngine } from "@kdrec/core";
import { bprLoss, describeMixture, lossTerm, mixtureLoss, softLabelCrossEntropy } from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";

await initEngine()();

// A batch of 2 users, each with 4 candidate items: the student's and the (frozen) teacher's scores.
const student = tf.tensor2d([
  [2.0, 0.1, -0.3, 0.5],
  [0.2, 1.5, 0.0, -1.0],
]);
const teacher = tf.tensor2d([
  [3.0, 0.5, -1.0, 1.0],
  [0.0, 2.5, 0.3, -2.0],
]);

// Losses are pure functions of tensors...
const positive = column(student, 0);
const negative = column(student, 3);
console.log(`BPR ${bprLoss(positive, negative).dataSync()[0]!.toFixed(4)}`);

// ...and a distillation objective is a mixture of them, as data: (1 − α)·task + α·KD, α = 0.8.
interface Batch {
  readonly student: tf.Tensor2D;
  readonly teacher: tf.Tensor2D;
}
const terms = [
  lossTerm<Batch>(
    "bpr",
    (b) => bprLoss(column(b.student, 0), tf.slice(b.student, [0, 1], [-1, -1]) as tf.Tensor2D),
    0.2,
  ),
  lossTerm<Batch>("soft-label-ce(T=0.5)", (b) => softLabelCrossEntropy(b.student, b.teacher, 0.5), 0.8),
];
console.log(describeMixture(terms)); // 0.2·bpr + 0.8·soft-label-ce(T=0.5)
const { total } = mixtureLoss(terms, { student, teacher }, { epoch: 0, round: 0 });
console.log(`total ${total.dataSync()[0]!.toFixed(4)}`);
tf.dispose([student, teacher, positive, negative, total]);
