// Two-way distillation through the one loop: both models train, the sampler follows the two
// rankings' disagreements, and the run is deterministic.
import { seededRandom } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { noDistillation, rankDiscrepancySampler, twoWay } from "@kdrec/strategies";
import { MatrixFactorization } from "@kdrec/students";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { fit } from "./fit.js";

const split = leaveLastOut(syntheticDataset({ seed: 9, users: 80, items: 100 }).interactions);
const mf = (dim: number, seed: number) =>
  MatrixFactorization.create({ users: 80, items: 100, dim, seed, optimizer: { kind: "adam", learningRate: 0.01 } });

describeEachBackend("two-way fit", () => {
  it("trains the student and the teacher together, keeps both best epochs, and is deterministic", async () => {
    const run = async () => {
      const student = mf(4, 1);
      const teacher = mf(16, 2);
      const before = Float32Array.from(teacher.itemFactors);
      const peers: number[] = [];
      const result = await fit({
        model: student,
        peer: teacher,
        split,
        strategy: twoWay({ epochs: 8, candidates: 6 }),
        seed: 3,
        batchSize: 256,
        onEpoch: (r) => peers.push(r.peerValidNdcg10!),
      });
      if (E.isLeft(result)) throw new Error(result.left.message);
      return { student, teacher, before, result: result.right, peers };
    };
    const tensors = tf.memory().numTensors;
    const a = await run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(a.peers.every(Number.isFinite)).toBe(true);
    expect(a.result.peer?.valid["ndcg@10"]?.mean).toBe(Math.max(...a.peers));
    expect(Array.from(a.teacher.itemFactors)).not.toEqual(Array.from(a.before)); // the teacher learned
    const b = await run();
    expect(Array.from(b.student.userFactors)).toEqual(Array.from(a.student.userFactors));
    expect(Array.from(b.teacher.userFactors)).toEqual(Array.from(a.teacher.userFactors));
  });

  it.each(["soft-bce", "soft-label"] as const)(
    "takes both sides' steps in closed form (%s targets): the steps of TF.js autodiff on the same mixture",
    async (targets) => {
      // The same models seen without their score-gradient step: the plan falls back to autodiff.
      const autodiffOnly = <M extends object>(model: M): M =>
        new Proxy(model, { get: (t, key) => (key === "trainStepWithGradient" ? undefined : Reflect.get(t, key)) });
      const run = async (closedForm: boolean) => {
        const [student, teacher] = [mf(4, 1), mf(16, 2)];
        const result = await fit({
          model: closedForm ? student : autodiffOnly(student),
          peer: closedForm ? teacher : autodiffOnly(teacher),
          split,
          strategy: twoWay({ epochs: 3, candidates: 6, targets, temperature: 2, alpha: 0.6 }),
          seed: 3,
          batchSize: 256,
        });
        if (E.isLeft(result)) throw new Error(result.left.message);
        return { student, teacher, history: result.right.history };
      };
      const [closed, autodiff] = [await run(true), await run(false)];
      closed.history.forEach((epoch, k) => {
        expect(epoch.loss).toBeCloseTo(autodiff.history[k]!.loss, 4);
        expect(Object.keys(epoch.terms ?? {})).toEqual(Object.keys(autodiff.history[k]!.terms ?? {}));
      });
      const gap = (a: Float32Array, b: Float32Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0);
      expect(gap(closed.student.itemFactors, autodiff.student.itemFactors)).toBeLessThan(1e-4);
      expect(gap(closed.teacher.itemFactors, autodiff.teacher.itemFactors)).toBeLessThan(1e-4);
      expect(gap(closed.student.itemFactors, mf(4, 1).itemFactors)).toBeGreaterThan(1e-3); // both trained
    },
  );

  it("runs two one-way soft-label flows on one schedule (listwise targets), both models learning", async () => {
    const student = mf(4, 1);
    const teacher = mf(16, 2);
    const before = { student: Float32Array.from(student.itemFactors), teacher: Float32Array.from(teacher.itemFactors) };
    const tensors = tf.memory().numTensors;
    const result = await fit({
      model: student,
      peer: teacher,
      split,
      strategy: twoWay({
        epochs: 6,
        candidates: 20,
        targets: "soft-label",
        temperature: 0.5,
        alpha: 0.8,
        teacherAlpha: 0.1,
      }),
      seed: 3,
      batchSize: 256,
    });
    if (E.isLeft(result)) throw new Error(result.left.message);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(result.right.history.every((epoch) => Number.isFinite(epoch.loss))).toBe(true);
    expect(Array.from(student.itemFactors)).not.toEqual(Array.from(before.student));
    expect(Array.from(teacher.itemFactors)).not.toEqual(Array.from(before.teacher));
  });

  it("keeps the teacher as it came in unless two-way training validates better", async () => {
    const trained = mf(16, 2);
    const pretrained = await fit({ model: trained, split, strategy: noDistillation, seed: 1, batchSize: 256 });
    if (E.isLeft(pretrained)) throw new Error(pretrained.left.message);
    const before = pretrained.right.valid["ndcg@10"]!.mean;
    // The same weights under an absurd learning rate: every epoch of two-way training wrecks them.
    const teacher = MatrixFactorization.create({
      users: 80,
      items: 100,
      dim: 16,
      optimizer: { kind: "adam", learningRate: 5 },
    });
    teacher.restore(trained.snapshot());
    const result = await fit({
      model: mf(4, 1),
      peer: teacher,
      split,
      strategy: twoWay({ epochs: 2, candidates: 6 }),
      seed: 3,
      batchSize: 256,
    });
    if (E.isLeft(result)) throw new Error(result.left.message);
    const peer = result.right.peer!;
    expect(peer.bestEpoch).toBe(-1);
    expect(peer.valid["ndcg@10"]!.mean).toBe(before);
    expect(Array.from(teacher.itemFactors)).toEqual(Array.from(trained.itemFactors));
  });

  it("refuses a two-way strategy without a trainable peer", async () => {
    const result = await fit({ model: mf(4, 1), split, strategy: twoWay(), seed: 1 });
    expect(E.isLeft(result) && result.left.message).toMatch(/needs the teacher as a trainable peer/);
  });

  it("samples, for each side, the unobserved items the other model ranks much higher", async () => {
    // One user, 40 unobserved items; the student ranks them 0 > 1 > … > 39, the teacher the reverse.
    const n = 40;
    const train = {
      users: Int32Array.of(1),
      items: Int32Array.of(0),
      userIds: ["a", "b"],
      itemIds: Array.from({ length: n }, (_, i) => String(i)),
    };
    const scorer = (scores: number[]) => ({
      allItemScorer: () => ({
        score: (users: Int32Array) => tf.tensor2d(Array.from(users, () => scores).flat(), [users.length, n]),
        dispose: () => undefined,
      }),
    });
    const descending = Array.from({ length: n }, (_, i) => n - i);
    const sample = await rankDiscrepancySampler(scorer(descending), scorer([...descending].reverse()), train);
    const rng = seededRandom(5);
    const counts = new Array<number>(n).fill(0);
    for (let k = 0; k < 8000; k++) counts[sample(0, rng)]! += 1;
    // student side: items the teacher ranks higher (20..39), more the larger the gap; teacher side: 0..19
    const upper = counts.slice(20).reduce((a, b) => a + b, 0);
    expect(upper).toBeGreaterThan(3600);
    expect(upper).toBeLessThan(4400);
    expect(counts[39]!).toBeGreaterThan(2 * counts[20]!);
    expect(counts[0]!).toBeGreaterThan(2 * counts[19]!);
  });
}, ["tensorflow"]);
