// `npm run bench:scaling`: how kdrec's costs grow with the data — one MF-64 training epoch (BPR,
// closed form, batch 1,024), a full-ranking evaluation of every user (HR/NDCG@10, 20 + MRR) beside
// the matrix product alone on the native engine, and the fused top-10 of every user, for 1k → 1M
// users and 1k → 100k items, with the peak memory after each size. Data: 20 interactions per user,
// items drawn by popularity (Zipf, exponent 1), the last one held out; sizes grow, so the peak
// after each row is that row's.
import { formatKdrecError, initEngine, KdrecHeldOutRanks, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  type Interactions,
  leaveLastOut,
  pairwiseBatches,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { rowBprGradient } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { type KernelPool, MatrixFactorization } from "@kdrec/students";
import { startKernelPool } from "@kdrec/students/node";
import { withoutEngineKernel } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { orThrow } from "./support.js";

const PER_USER = 20;
const DIM = 64;

/** Users with `PER_USER` distinct items each (Zipf by inverse-CDF over precomputed weights), in time order. */
const zipfInteractions = (users: number, items: number, seed: number): Interactions => {
  const rng = seededRandom(seed);
  const cumulative = new Float64Array(items);
  let total = 0;
  for (let i = 0; i < items; i++) {
    total += 1 / (i + 1);
    cumulative[i] = total;
  }
  const n = users * PER_USER;
  const userColumn = new Int32Array(n);
  const itemColumn = new Int32Array(n);
  const timestamps = new Float64Array(n);
  const chosen = new Set<number>();
  for (let u = 0; u < users; u++) {
    chosen.clear();
    while (chosen.size < Math.min(PER_USER, items)) {
      const target = rng.float() * total;
      let lo = 0;
      let hi = items - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      chosen.add(lo);
    }
    let t = 0;
    for (const item of chosen) {
      const r = u * PER_USER + t;
      userColumn[r] = u;
      itemColumn[r] = item;
      timestamps[r] = t++;
    }
  }
  const ids = (count: number) => Array.from({ length: count }, (_, k) => String(k));
  return { users: userColumn, items: itemColumn, timestamps, userIds: ids(users), itemIds: ids(items) };
};

const seconds = async (work: () => unknown): Promise<number> => {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
};

/** The fastest of three runs: the first pays for warming up (JIT, TensorFlow's op caches). */
const bestOfThree = async (work: () => Promise<number>): Promise<number> =>
  Math.min(await work(), await work(), await work());

const peakMiB = (): number => process.resourceUsage().maxRSS / 1024;

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  if (engine.right.kernelsUnavailable !== undefined)
    console.log(`(kdrec's native kernels are not loaded: ${engine.right.kernelsUnavailable})`);
  // BENCH_SIZES=10000x17000,… runs those rows only.
  const chosen = process.env.BENCH_SIZES?.split(",").map((size) => size.split("x").map(Number) as [number, number]);
  const pool = await startKernelPool({ threads: 2 });
  const allSizes: ReadonlyArray<readonly [number, number, boolean]> = [
    [1_000, 1_000, true],
    [10_000, 1_000, true],
    [10_000, 17_000, true],
    [100_000, 17_000, true],
    [10_000, 100_000, true],
    [1_000_000, 100_000, false],
  ];
  const sizes =
    chosen === undefined
      ? allSizes
      : allSizes.filter(([users, items]) => chosen.some(([u, i]) => u === users && i === items));
  console.log(
    `kdrec scaling benchmark (${new Date().toISOString()}): MF d=${DIM}, ${PER_USER} interactions per user\n`,
  );
  console.log(
    `${"users × items".padStart(20)} ${"interactions".padStart(13)} ${"epoch s".padStart(8)} ${"eval s".padStart(7)} ${"TF.js ops".padStart(9)} ${"matmul s".padStart(9)} ${"eval/matmul".padStart(12)} ${"+read s".padStart(8)} ${"top-10 s".padStart(9)} ${"2 threads".padStart(9)} ${"peak MiB".padStart(9)}`,
  );
  for (const [users, items, evaluate] of sizes) {
    const split = leaveLastOut(zipfInteractions(users, items, 1));
    const sampler = orThrow(uniformNegatives(userItemSets(split.train)));
    const model = MatrixFactorization.create({ users, items, dim: DIM, seed: 1, l2: 1e-3 });
    const bpr = rowBprGradient();
    const epoch = await seconds(() => {
      for (const batch of pairwiseBatches(split.train, sampler, 1024, seededRandom(1))) {
        const lists = asItemLists(batch);
        model.trainStepWithGradient(lists, (scores, gradient) =>
          bpr({ rows: lists.users.length, width: 2, student: scores }, 1, gradient),
        );
      }
    });
    let cells = ["-", "-", "-", "-", "-", "-", "-"];
    if (evaluate) {
      const scorer = model.allItemScorer();
      const options = { heldOut: split.test, exclude: [split.train, split.valid], ks: [10, 20] };
      const evaluation = await bestOfThree(() =>
        seconds(async () => orThrow(await evaluateFullRanking(scorer.score, options))),
      );
      // The same evaluation with the ranks counted by TF.js ops (compare, cast, sum) on the engine.
      const byOps = await withoutEngineKernel(KdrecHeldOutRanks, () =>
        bestOfThree(() =>
          seconds(async () => orThrow(await evaluateFullRanking(scorer.score, { ...options, ranking: "engine" }))),
        ),
      );
      // The product alone, in the evaluation's batches of 256 users: one value of each read back,
      // which waits for the product without copying it (`read`: the whole block read back).
      const products = (read: "one value" | "all") =>
        seconds(async () => {
          for (let start = 0; start < users; start += 256) {
            const ids = Int32Array.from({ length: Math.min(256, users - start) }, (_, k) => start + k);
            const scores = scorer.score(ids);
            const wanted = read === "all" ? scores : tf.slice(scores, [0, 0], [1, 1]);
            await wanted.data();
            tf.dispose([scores, wanted]);
          }
        });
      const matmul = await bestOfThree(() => products("one value"));
      const readBack = await bestOfThree(() => products("all"));
      scorer.dispose();
      const seen = userItemSets(split.train);
      const topTen = (pool?: KernelPool) =>
        seconds(() => {
          for (let start = 0; start < users; start += 4096)
            model.topK(
              Int32Array.from({ length: Math.min(4096, users - start) }, (_, k) => start + k),
              10,
              seen,
              { path: "fused", pool },
            );
        });
      const top = await topTen();
      const pooled = await topTen(pool);
      cells = [
        evaluation.toFixed(2),
        byOps.toFixed(2),
        matmul.toFixed(2),
        `${(evaluation / matmul).toFixed(2)}x`,
        readBack.toFixed(2),
        top.toFixed(2),
        pooled.toFixed(2),
      ];
    }
    console.log(
      `${`${users.toLocaleString("en-US")} × ${items.toLocaleString("en-US")}`.padStart(20)} ${split.train.users.length.toLocaleString("en-US").padStart(13)} ${epoch.toFixed(2).padStart(8)} ${cells[0]!.padStart(7)} ${cells[1]!.padStart(9)} ${cells[2]!.padStart(9)} ${cells[3]!.padStart(12)} ${cells[4]!.padStart(8)} ${cells[5]!.padStart(9)} ${cells[6]!.padStart(9)} ${peakMiB().toFixed(0).padStart(9)}`,
    );
    if (tf.memory().numTensors > 0) console.log(`  (${tf.memory().numTensors} tensors left)`);
  }
  console.log(
    "\n(epoch: sampling included; eval: evaluateFullRanking with the model's engine scorer, ranks counted by kdrec's KdrecHeldOutRanks kernel; TF.js ops: the same, counted by compare + cast + sum; matmul: the same batches' products on the engine, one value of each read back; eval, TF.js ops, matmul and +read: the best of three runs; +read: the products read back whole; top-10: MatrixFactorization.topK, seen items left out, WebAssembly, one thread and a pool of 2)",
  );
  await pool.close();
};

await main();
