// `npm run bench:train`: matrix-factorization training throughput on MovieLens-100K's training
// split (BPR, Adam, batch 1,024, one uniform negative; then soft-label distillation over 100
// candidates) with kdrec's sparse updates (whole epochs in
// one kernel, on one thread or two (Hogwild); step by step with the loss's gradient in closed form
// or by TF.js autodiff; row kernels in WebAssembly SIMD, or the same in JavaScript loops) beside
// the stock TF.js optimizer on the same backend, and the time to score all users, leave out their
// training items and keep the top 10. Beside each row, PyTorch doing the same work: measured just
// before it by a PyTorch process kept up for the run (paired_torch.ts; its virtualenv is made by
// `npm run bench:pytorch`), else the figures that command last wrote, else the shared reference.

import { existsSync, readFileSync } from "node:fs";
import {
  arenaKernel,
  formatKdrecError,
  initEngine,
  KdrecBprBatches,
  KdrecListBatches,
  seededRandom,
} from "@kdrec/core";
import {
  asItemLists,
  type Interactions,
  leaveLastOut,
  pairwiseBatches,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { bprLoss, closedFormOf, rankWeights, rowBprGradient, rowBprLoss } from "@kdrec/losses";
import type { ListEpoch } from "@kdrec/model-kit";
import { type KernelPool, MatrixFactorization } from "@kdrec/students";
import { startKernelPool } from "@kdrec/students/node";
import { withoutArenaKernel } from "@kdrec/testing";
import { referenceJson } from "@kdrec/testing/shared-data";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { startPairedTorch, type TorchRequest } from "./paired_torch.js";
import { movieLens100K, orThrow } from "./support.js";

const BATCH = 1024;

const epochTriples = (train: Interactions, epoch: number) => {
  const sampler = orThrow(uniformNegatives(userItemSets(train)));
  return [...pairwiseBatches(train, sampler, BATCH, seededRandom(epoch))];
};

/** How kdrec's sparse path gets the loss's score gradient. */
type GradientPath = "closed form" | "TF.js autodiff";

/**
 * Interactions per second of kdrec's sparse path: the median of five epochs after two warm-up
 * epochs (sampling the epoch's negatives included). The closed form is what training uses for
 * BPR; TF.js autodiff of the same loss is the path of losses without one.
 */
const sparseThroughput = (
  train: Interactions,
  users: number,
  items: number,
  dim: number,
  simd: boolean,
  path: GradientPath,
): number => {
  const model = MatrixFactorization.create({ users, items, dim, seed: 1, l2: 1e-3 }, { simd });
  const bpr = rowBprGradient();
  const step = (lists: ReturnType<typeof asItemLists>) =>
    path === "closed form"
      ? model.trainStepWithGradient(lists, (scores, gradient) =>
          bpr({ rows: lists.users.length, width: 2, student: scores }, 1, gradient),
        )
      : model.trainStep(lists, (s) => rowBprLoss(s));
  const run = (epoch: number) => {
    const start = performance.now();
    for (const b of epochTriples(train, epoch)) step(asItemLists(b));
    return train.users.length / ((performance.now() - start) / 1000);
  };
  // Two warm-up epochs (the first path measured also warms the JIT for the others), then the
  // median of five: an epoch here is ~50 ms, short enough for one pause to move a single figure.
  run(0);
  run(1);
  return [2, 3, 4, 5, 6].map(run).sort((a, b) => a - b)[2]!;
};

/**
 * Interactions per second of whole BPR epochs in the kernel (`trainPairwiseEpoch`): on one thread,
 * or with a pool, its threads training at once over shared tables (Hogwild). Timed as above.
 */
const epochThroughput = (train: Interactions, users: number, items: number, dim: number, pool?: KernelPool): number => {
  const model = MatrixFactorization.create(
    { users, items, dim, seed: 1, l2: 1e-3 },
    pool === undefined ? {} : { pool },
  );
  const run = (epoch: number) => {
    const start = performance.now();
    model.trainPairwiseEpoch(epochTriples(train, epoch));
    return train.users.length / ((performance.now() - start) / 1000);
  };
  run(0);
  run(1);
  return [2, 3, 4, 5, 6].map(run).sort((a, b) => a - b)[2]!;
};

/**
 * A distillation loss on item lists as kdrec's one-way strategy trains it (what both this bench
 * and `bench:pytorch`'s `distill_throughput` time): the rows' layout after [positive, negative]
 * (or [negative, positive]) and the mixture's kernel terms with their weights.
 */
interface ListLoss {
  readonly name: string;
  readonly width: number;
  readonly negativeFirst: boolean;
  /** Columns from 2 on: the teacher's top items first (`fromTop`), then uniform draws. */
  readonly fromTop: number;
  readonly terms: ListEpoch["terms"];
}

const bprTerm = (weight: number, negativeFirst = false) => ({
  term: { kind: "bpr", positive: negativeFirst ? 1 : 0, negative: negativeFirst ? 0 : 1 } as const,
  weight,
});

// Soft labels: [negative, positive, 100 uniform], α = 0.8, T = 0.5; MSE: 14 uniform, α = 0.5;
// ranking distillation: the teacher's top 10 (λ = 5), α = 0.5; listwise (RRD's Plackett–Luce): top
// 10 and 50 uniform below, α = 0.8. The teacher's scores come from its precomputed table.
const LIST_LOSSES: ReadonlyArray<ListLoss> = [
  {
    name: "soft-label",
    width: 102,
    negativeFirst: true,
    fromTop: 0,
    terms: [bprTerm(0.2, true), { term: { kind: "soft-label", first: 1, count: 101, temperature: 0.5 }, weight: 0.8 }],
  },
  {
    name: "mse",
    width: 16,
    negativeFirst: false,
    fromTop: 0,
    terms: [bprTerm(0.5), { term: { kind: "squared-error" }, weight: 0.5 }],
  },
  {
    name: "ranking",
    width: 12,
    negativeFirst: false,
    fromTop: 10,
    terms: [
      bprTerm(0.5),
      { term: { kind: "ranking", first: 2, negative: 1, rankWeights: rankWeights(10, 5) }, weight: 0.5 },
    ],
  },
  {
    name: "listwise",
    width: 62,
    negativeFirst: false,
    fromTop: 10,
    terms: [bprTerm(0.2), { term: { kind: "plackett-luce", first: 2, count: 10, below: 50 }, weight: 0.8 }],
  },
];

/** A teacher's score table `[users, items]`: a random MF-128's scores (what is timed is the lookups). */
const teacherTable = (users: number, items: number): Float32Array => {
  const teacher = MatrixFactorization.create({ users, items, dim: 128, seed: 7 });
  const scorer = teacher.allItemScorer();
  const table = scorer.score(Int32Array.from({ length: users }, (_, u) => u));
  const scores = table.dataSync() as Float32Array;
  table.dispose();
  scorer.dispose();
  return scores;
};

/** Each user's 10 best items by the teacher's table, best first (what ranking losses distil). */
const teacherTop10 = (table: Float32Array, users: number, items: number): Int32Array => {
  const top = new Int32Array(users * 10);
  for (let u = 0; u < users; u++) {
    const order = Array.from({ length: items }, (_, i) => i).sort(
      (a, b) => table[u * items + b]! - table[u * items + a]!,
    );
    top.set(order.slice(0, 10), u * 10);
  }
  return top;
};

/** An epoch's lists for `loss`, drawn batch by batch as the plan draws them (the draws are timed). */
const distillationLists = (train: Interactions, items: number, epoch: number, loss: ListLoss, top: Int32Array) => {
  const batches = epochTriples(train, epoch);
  const rng = seededRandom(epoch).split("lists");
  const { width, fromTop } = loss;
  return {
    batchRows: batches.map((b) => b.users.length),
    width,
    lists: (k: number) => {
      const batch = batches[k]!;
      const lists = new Int32Array(batch.users.length * width);
      for (let row = 0; row < batch.users.length; row++) {
        const at = row * width;
        lists[at] = loss.negativeFirst ? batch.negatives[row]! : batch.positives[row]!;
        lists[at + 1] = loss.negativeFirst ? batch.positives[row]! : batch.negatives[row]!;
        const user = batch.users[row]!;
        lists.set(top.subarray(user * 10, user * 10 + fromTop), at + 2);
        rng.fillInts(lists, at + 2 + fromTop, at + width, items);
      }
      return { users: batch.users, items: lists, width };
    },
  };
};

/**
 * Interactions per second of distillation with `loss`: whole epochs in the list kernel
 * (`trainListEpoch`, one thread or a pool's), or step by step with the same closed-form mixture
 * (`trainStepWithGradient`: the default path). Median of three epochs after one warm-up.
 */
const distillationThroughput = (
  train: Interactions,
  shape: { readonly users: number; readonly items: number; readonly dim: number },
  teacher: { readonly table: Float32Array; readonly top: Int32Array },
  loss: ListLoss,
  path: "whole epoch" | "step by step",
  pool?: KernelPool,
): number => {
  const { users, items, dim } = shape;
  const model = MatrixFactorization.create(
    { users, items, dim, seed: 1, l2: 1e-3 },
    pool === undefined ? {} : { pool },
  );
  const closedForms = loss.terms.map(({ term }) => closedFormOf(term));
  const run = (epoch: number) => {
    const start = performance.now();
    const lists = distillationLists(train, items, epoch, loss, teacher.top);
    if (path === "whole epoch")
      model.trainListEpoch({ ...lists, teacher: { table: teacher.table }, terms: loss.terms });
    else
      lists.batchRows.forEach((rows, k) => {
        const batch = lists.lists(k);
        const scores = Float32Array.from(
          batch.items,
          (item, j) => teacher.table[batch.users[Math.floor(j / lists.width)]! * items + item]!,
        );
        model.trainStepWithGradient(batch, (student, gradient) => {
          const arrays = { rows, width: lists.width, student, teacher: scores };
          return loss.terms.reduce((sum, { weight }, j) => sum + weight * closedForms[j]!(arrays, weight, gradient), 0);
        });
      });
    return train.users.length / ((performance.now() - start) / 1000);
  };
  run(0);
  return [1, 2, 3].map(run).sort((a, b) => a - b)[1]!;
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

const scoreAllMs = (train: Interactions, users: number, items: number, dim: number): number => {
  const model = MatrixFactorization.create({ users, items, dim, seed: 1 });
  const scorer = model.allItemScorer();
  const all = Int32Array.from({ length: users }, (_, u) => u);
  // −∞ at each user's training items, made once (PyTorch's reference builds its mask once too).
  const penalty = new Float32Array(users * items);
  for (let r = 0; r < train.users.length; r++)
    penalty[train.users[r]! * items + train.items[r]!] = Number.NEGATIVE_INFINITY;
  const mask = tf.tensor2d(penalty, [users, items]);
  // Scores of every user against every item, training items masked, then each user's top 10 read back.
  const once = () => {
    const top = tf.tidy(() => tf.topk(tf.add(scorer.score(all), mask), 10).indices);
    top.dataSync();
    top.dispose();
  };
  for (let i = 0; i < 3; i++) once();
  const start = performance.now();
  for (let i = 0; i < 20; i++) once();
  const ms = (performance.now() - start) / 20;
  scorer.dispose();
  mask.dispose();
  return ms;
};

interface TorchFigures {
  readonly train_interactions_per_s: Record<string, number>;
  /** Soft-label distillation, the same work (absent from figures measured before it was added). */
  readonly distill_interactions_per_s?: Record<string, number>;
  /** The other list losses of `LIST_LOSSES`, by name (absent from older figures). */
  readonly [distillation: `distill_${string}_interactions_per_s`]: Record<string, number> | undefined;
  readonly score_all_users_ms: Record<string, number | string>;
}

/**
 * PyTorch's figures for the same work: measured on this machine by `npm run bench:pytorch` when
 * that has run (the same window, the fair comparison), else the shared reference (this machine
 * kind, another day: only ratios of runs close in time mean much).
 */
const torchFigures = (): { reference: TorchFigures; source: string } => {
  const local = process.env.KDREC_TORCH_BENCH ?? "runs/bench/pytorch-ml-100k.json";
  if (existsSync(local)) {
    const reference = JSON.parse(readFileSync(local, "utf8")) as TorchFigures & { what: string };
    return { reference, source: `${local}: ${reference.what}` };
  }
  return {
    reference: referenceJson("ml-100k-bench.json") as TorchFigures,
    source:
      "../shared/reference/ml-100k-bench.json, another machine of this kind on another day (npm run bench:pytorch measures it here)",
  };
};

/**
 * The same work by `MatrixFactorization.topK`: on the engine (a product, then one selection pass
 * per user) or fused (one pass per user over the catalogue in the arena, seen items skipped by CSR).
 */
const topKMs = (
  train: Interactions,
  users: number,
  items: number,
  dim: number,
  path: "engine" | "fused",
  pool?: KernelPool,
): number => {
  const model = MatrixFactorization.create({ users, items, dim, seed: 1 });
  const seen = userItemSets(train);
  const all = Int32Array.from({ length: users }, (_, u) => u);
  for (let i = 0; i < 3; i++) model.topK(all, 10, seen, { path, pool });
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    model.topK(all, 10, seen, { path, pool });
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[10]!;
};

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const ml = await movieLens100K();
  const { train } = leaveLastOut(ml.interactions);
  const [users, items] = [ml.interactions.userIds.length, ml.interactions.itemIds.length];
  const { reference, source } = torchFigures();
  const torch = (dim: number, optimizer: "dense" | "sparse") =>
    reference.train_interactions_per_s[`d${dim}-${optimizer}-adam`];
  // PyTorch's figure for the row about to be measured: measured now by PyTorch beside this
  // process when it can run here, else the one `torchFigures` read.
  const paired = await startPairedTorch();
  const torchFigure = async (request: TorchRequest, stored: number | undefined) =>
    paired.torch === undefined ? stored : await paired.torch.measure(request);
  const torchSource =
    paired.torch === undefined
      ? `from ${source} (not measured beside: ${paired.why})`
      : `measured just before each row by tools/bench/pytorch/bench_train.py --serve: ${paired.torch.what}`;

  console.log(
    `kdrec training benchmark: MovieLens-100K leave-last-out train (${train.users.length.toLocaleString("en-US")} interactions), BPR, Adam, batch ${BATCH}, backend tensorflow\n`,
  );
  console.log(
    "training throughput (interactions/s)   kdrec fused epoch   WebAssembly epoch   Hogwild 2 threads   kdrec closed form   kdrec TF.js autodiff   kdrec js loops   TF.js stock Adam   PyTorch dense Adam   PyTorch sparse Adam   fused/best PyTorch   wasm/best   Hogwild/best",
  );
  const pool = await startKernelPool({ threads: 2 });
  for (const dim of [8, 64, 128]) {
    const dense = await torchFigure({ work: "train", dim, sparse: false }, torch(dim, "dense"));
    const sparse = await torchFigure({ work: "train", dim, sparse: true }, torch(dim, "sparse"));
    const epochs = epochThroughput(train, users, items, dim);
    const wasmEpochs = await withoutArenaKernel(KdrecBprBatches, () => epochThroughput(train, users, items, dim));
    const hogwild = epochThroughput(train, users, items, dim, pool);
    const fused = sparseThroughput(train, users, items, dim, true, "closed form");
    const autodiff = sparseThroughput(train, users, items, dim, true, "TF.js autodiff");
    const js = sparseThroughput(train, users, items, dim, false, "closed form");
    const stock = stockThroughput(train, users, items, dim, 30);
    const best = Math.max(dense ?? 0, sparse ?? 0);
    const cells = [
      epochs.toFixed(0).padStart(17),
      wasmEpochs.toFixed(0).padStart(17),
      hogwild.toFixed(0).padStart(17),
      fused.toFixed(0).padStart(17),
      autodiff.toFixed(0).padStart(20),
      js.toFixed(0).padStart(14),
      stock.toFixed(0).padStart(16),
      (dense === undefined ? "-" : dense.toFixed(0)).padStart(18),
      (sparse === undefined ? "-" : sparse.toFixed(0)).padStart(19),
      (best === 0 ? "-" : `${(epochs / best).toFixed(2)}x`).padStart(18),
      (best === 0 ? "-" : `${(wasmEpochs / best).toFixed(2)}x`).padStart(9),
      (best === 0 ? "-" : `${(hogwild / best).toFixed(2)}x`).padStart(12),
    ];
    console.log(`  MF d=${String(dim).padEnd(4)}                         ${cells.join("   ")}`);
  }
  console.log(
    `  (kdrec fused epoch: ${arenaKernel(KdrecBprBatches) !== undefined ? "the native BPR kernel (@kdrec/native-kernels)" : "the WebAssembly kernel (the native BPR kernel is not registered)"}, one thread; WebAssembly epoch: the WebAssembly kernel, which a browser runs; PyTorch: the same work, ${torchSource}; runs differ by up to 20%)`,
  );

  console.log(
    "\ndistillation throughput (interactions/s), the teacher's scores from its table, candidate draws timed: soft-label = 0.2·BPR + 0.8·T²·CE(T = 0.5) over [positive, 100 uniform]; mse = 0.5·BPR + 0.5·MSE over [positive, negative, 14 uniform]; ranking = 0.5·BPR + 0.5·ranking distillation of the teacher's top 10 (λ = 5); listwise = 0.2·BPR + 0.8·Plackett–Luce of the top 10 with 50 uniform below",
  );
  console.log(
    "                          kdrec whole epoch   WebAssembly epoch   Hogwild 2 threads   kdrec step by step   PyTorch dense Adam   PyTorch sparse Adam   whole/best PyTorch   wasm/best   Hogwild/best   whole/step by step",
  );
  // Whole epochs run the native list kernel where it is registered (Node with the addon built;
  // the same values), on one thread and on the pool; the WebAssembly kernel is what a browser runs.
  const nativeListKernel = arenaKernel(KdrecListBatches) !== undefined;
  const table = teacherTable(users, items);
  const teacher = { table, top: teacherTop10(table, users, items) };
  for (const loss of LIST_LOSSES)
    for (const dim of [8, 64, 128]) {
      const shape = { users, items, dim };
      // Soft labels' figures were first stored without the loss's name.
      const figures =
        loss.name === "soft-label"
          ? reference.distill_interactions_per_s
          : reference[`distill_${loss.name}_interactions_per_s` as const];
      const [dense, sparse] = [
        await torchFigure({ work: "distill", dim, sparse: false, loss: loss.name }, figures?.[`d${dim}-dense-adam`]),
        await torchFigure({ work: "distill", dim, sparse: true, loss: loss.name }, figures?.[`d${dim}-sparse-adam`]),
      ];
      const whole = distillationThroughput(train, shape, teacher, loss, "whole epoch");
      const wasm = await withoutArenaKernel(KdrecListBatches, () =>
        distillationThroughput(train, shape, teacher, loss, "whole epoch"),
      );
      const hogwild = distillationThroughput(train, shape, teacher, loss, "whole epoch", pool);
      const steps = distillationThroughput(train, shape, teacher, loss, "step by step");
      const best = Math.max(dense ?? 0, sparse ?? 0);
      const ratio = (x: number) => (best === 0 ? "-" : `${(x / best).toFixed(2)}x`);
      const cells = [
        whole.toFixed(0).padStart(17),
        wasm.toFixed(0).padStart(17),
        hogwild.toFixed(0).padStart(17),
        steps.toFixed(0).padStart(18),
        (dense?.toFixed(0) ?? "-").padStart(18),
        (sparse?.toFixed(0) ?? "-").padStart(19),
        ratio(whole).padStart(18),
        ratio(wasm).padStart(9),
        ratio(hogwild).padStart(12),
        `${(whole / steps).toFixed(2)}x`.padStart(18),
      ];
      console.log(`  ${loss.name.padEnd(10)} MF d=${String(dim).padEnd(4)}      ${cells.join("   ")}`);
    }
  console.log(
    `  (kdrec whole epoch: ${nativeListKernel ? "the native list kernel (@kdrec/native-kernels)" : "the WebAssembly kernel (the native list kernel is not registered)"}, one thread; WebAssembly epoch: the WebAssembly kernel, one thread; PyTorch: '-' where the reference file has no figure for that loss: npm run bench:pytorch measures them)`,
  );

  console.log(
    `\nscore all ${users} users x ${items} items, leave out each user's training items, top-10 (ms, median of 20): the same work in each`,
  );
  console.log(
    "            kdrec topK, engine   kdrec topK, fused wasm   fused, 2 threads   TF.js matMul+mask+topk   PyTorch (2 threads)   kdrec best/PyTorch",
  );
  for (const dim of [8, 64, 128]) {
    const ref = reference.score_all_users_ms[`d${dim} scores+mask+top10`];
    const torchMs = await torchFigure({ work: "top10", dim }, typeof ref === "number" ? ref : undefined);
    const engine = topKMs(train, users, items, dim, "engine");
    const fused = topKMs(train, users, items, dim, "fused");
    const pooled = topKMs(train, users, items, dim, "fused", pool);
    const stock = scoreAllMs(train, users, items, dim);
    const best = Math.min(engine, fused, pooled);
    console.log(
      `  d=${String(dim).padEnd(4)} ${engine.toFixed(2).padStart(18)}   ${fused.toFixed(2).padStart(22)}   ${pooled.toFixed(2).padStart(16)}   ${stock.toFixed(2).padStart(22)}   ${(torchMs?.toFixed(2) ?? "-").padStart(19)}   ${(torchMs === undefined ? "-" : `${(best / torchMs).toFixed(2)}x`).padStart(18)}`,
    );
  }
  await pool.close();
  paired.torch?.close();
};

await main();
