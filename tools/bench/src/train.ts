// `npm run bench:train`: matrix-factorization training throughput on MovieLens-100K's training
// split (BPR, Adam, batch 1,024, one uniform negative) with kdrec's sparse updates (row kernels in
// WebAssembly SIMD, and the same in JavaScript loops) beside the stock TF.js optimizer on the same
// backend, and the time to score all users for a student (d = 8) and a teacher (d = 128). The
// PyTorch reference's figures (../shared/reference) are printed beside.

import { formatKdrecError, initEngine, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  type Interactions,
  leaveLastOut,
  pairwiseBatches,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { bprLoss, rowBprLoss } from "@kdrec/losses";
import { MatrixFactorization } from "@kdrec/students";
import { referenceJson } from "@kdrec/testing/shared-data";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { movieLens100K, orThrow } from "./support.js";

const BATCH = 1024;

const epochTriples = (train: Interactions, epoch: number) => {
  const sampler = orThrow(uniformNegatives(userItemSets(train)));
  return [...pairwiseBatches(train, sampler, BATCH, seededRandom(epoch))];
};

/**
 * Interactions per second of kdrec's sparse path: the median of three epochs after a warm-up
 * epoch (sampling the epoch's negatives included).
 */
const sparseThroughput = (train: Interactions, users: number, items: number, dim: number, simd: boolean): number => {
  const model = MatrixFactorization.create({ users, items, dim, seed: 1, l2: 1e-3 }, { simd });
  const run = (epoch: number) => {
    const start = performance.now();
    for (const b of epochTriples(train, epoch)) {
      model.trainStep(asItemLists(b), (s) => rowBprLoss(s));
    }
    return train.users.length / ((performance.now() - start) / 1000);
  };
  run(0);
  return [run(1), run(2), run(3)].sort((a, b) => a - b)[1]!;
};

/** The same with tf.variable tables and tf.train.adam (dense updates of both tables every step). */
const stockThroughput = (
  train: Interactions,
  users: number,
  items: number,
  dim: number,
  maxBatches: number,
): number => {
  const p = tf.variable(tf.randomNormal([users, dim], 0, 0.1, "float32", 1));
  const q = tf.variable(tf.randomNormal([items, dim], 0, 0.1, "float32", 2));
  const optimizer = tf.train.adam(1e-3);
  const batches = epochTriples(train, 0).slice(0, maxBatches + 2);
  let start = 0;
  let seen = 0;
  batches.forEach((b, k) => {
    if (k === 2) start = performance.now(); // two warm-up steps
    const loss = optimizer.minimize(() => {
      const u = tf.gather(p, tf.tensor1d(b.users, "int32"));
      const pos = tf.sum(tf.mul(u, tf.gather(q, tf.tensor1d(b.positives, "int32"))), 1) as tf.Tensor1D;
      const neg = tf.sum(tf.mul(u, tf.gather(q, tf.tensor1d(b.negatives, "int32"))), 1) as tf.Tensor1D;
      return bprLoss(pos, neg);
    }, true);
    loss?.dataSync();
    loss?.dispose();
    if (k >= 2) seen += b.users.length;
  });
  const rate = seen / ((performance.now() - start) / 1000);
  tf.dispose([p, q]);
  optimizer.dispose();
  return rate;
};

const scoreAllMs = (users: number, items: number, dim: number): number => {
  const model = MatrixFactorization.create({ users, items, dim, seed: 1 });
  const scorer = model.allItemScorer();
  const all = Int32Array.from({ length: users }, (_, u) => u);
  // Scores of every user against every item, then each user's top 10 read back (serving's work).
  const once = () => {
    const top = tf.tidy(() => tf.topk(scorer.score(all), 10).indices);
    top.dataSync();
    top.dispose();
  };
  for (let i = 0; i < 3; i++) once();
  const start = performance.now();
  for (let i = 0; i < 20; i++) once();
  scorer.dispose();
  return (performance.now() - start) / 20;
};

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const ml = await movieLens100K();
  const { train } = leaveLastOut(ml.interactions);
  const [users, items] = [ml.interactions.userIds.length, ml.interactions.itemIds.length];
  const { results: reference } = referenceJson("ml-100k.json") as {
    results: Record<"student_mf8_nokd" | "teacher_mf128", { interactions_per_s: number; score_all_ms: number }>;
  };

  console.log(
    `kdrec training benchmark: MovieLens-100K leave-last-out train (${train.users.length.toLocaleString("en-US")} interactions), BPR, Adam, batch ${BATCH}, backend tensorflow\n`,
  );
  const referenceRate: Record<number, number> = {
    8: reference.student_mf8_nokd.interactions_per_s,
    128: reference.teacher_mf128.interactions_per_s,
  };
  console.log(
    "training throughput (interactions/s)   kdrec wasm simd   kdrec js loops   TF.js stock Adam   PyTorch reference   wasm/stock   wasm/reference",
  );
  for (const dim of [8, 64, 128]) {
    const wasm = sparseThroughput(train, users, items, dim, true);
    const js = sparseThroughput(train, users, items, dim, false);
    const stock = stockThroughput(train, users, items, dim, 30);
    const ref = referenceRate[dim];
    const cells = [
      wasm.toFixed(0).padStart(15),
      js.toFixed(0).padStart(14),
      stock.toFixed(0).padStart(16),
      (ref === undefined ? "-" : ref.toFixed(0)).padStart(17),
      `${(wasm / stock).toFixed(1)}x`.padStart(10),
      (ref === undefined ? "-" : `${(wasm / ref).toFixed(2)}x`).padStart(14),
    ];
    console.log(`  MF d=${String(dim).padEnd(4)}                         ${cells.join("   ")}`);
  }
  console.log("  (the reference: PyTorch dense Adam on this machine kind, from ../shared/reference)");

  const student = scoreAllMs(users, items, 8);
  const teacher = scoreAllMs(users, items, 128);
  console.log(
    `\nscore all ${users} users x ${items} items + top-10 (ms)   student d=8 ${student.toFixed(2)}   teacher d=128 ${teacher.toFixed(2)}   (reference: ${reference.student_mf8_nokd.score_all_ms.toFixed(2)} / ${reference.teacher_mf128.score_all_ms.toFixed(2)})`,
  );
};

await main();
