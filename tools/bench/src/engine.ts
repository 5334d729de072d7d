// `npm run bench:engine`: the engine's speed on each backend, side by side in one run.
// - matmul 1024^3 in GFLOP/s;
// - one BPR training step with the stock TF.js Adam (dense updates of both tables): a 6,040x64
//   user table and a 3,706x64 item table (MovieLens-1M's sizes), batch 1,024: gather, dot,
//   softplus loss, Adam.
import { type BackendName, formatKdrecError, initEngine, seededRandom } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { type BenchRow, formatTable } from "./table.js";
import { secondsPerCall } from "./timing.js";

const MATMUL_N = 1024;
const USERS = 6040;
const ITEMS = 3706;
const DIM = 64;
const BATCH = 1024;

interface EngineFigures {
  readonly matmulGflops: number;
  readonly bprStepMs: number;
}

const matmulGflops = async (reps: number): Promise<number> => {
  const [a, b] = [
    tf.randomNormal([MATMUL_N, MATMUL_N], 0, 1, "float32", 1),
    tf.randomNormal([MATMUL_N, MATMUL_N], 0, 1, "float32", 2),
  ];
  const seconds = await secondsPerCall(async () => {
    const c = tf.matMul(a!, b!);
    await c.data();
    c.dispose();
  }, reps);
  tf.dispose([a!, b!]);
  return (2 * MATMUL_N ** 3) / seconds / 1e9;
};

// softplus(-x) = -log(sigmoid(x)), written as max(-x, 0) + log1p(exp(-|x|)) to stay finite for
// large |x| (tf.logSigmoid crashed inside optimizer.minimize with tfjs-core 4.22).
const bprLoss = (margin: tf.Tensor): tf.Scalar =>
  tf.mean(tf.add(tf.relu(tf.neg(margin)), tf.log1p(tf.exp(tf.neg(tf.abs(margin)))))) as tf.Scalar;

const bprStepMs = async (reps: number, warmup: number): Promise<number> => {
  const rng = seededRandom(7);
  const users = tf.variable(tf.randomNormal([USERS, DIM], 0, 0.1, "float32", rng.uint32()));
  const items = tf.variable(tf.randomNormal([ITEMS, DIM], 0, 0.1, "float32", rng.uint32()));
  const optimizer = tf.train.adam(1e-3);
  const batch = (n: number) => Int32Array.from({ length: BATCH }, () => rng.int(n));
  const seconds = await secondsPerCall(
    async () => {
      const [u, p, n] = [
        tf.tensor1d(batch(USERS), "int32"),
        tf.tensor1d(batch(ITEMS), "int32"),
        tf.tensor1d(batch(ITEMS), "int32"),
      ];
      const loss = optimizer.minimize(
        () => {
          const eu = tf.gather(users, u);
          const margin = tf.sub(tf.sum(tf.mul(eu, tf.gather(items, p)), 1), tf.sum(tf.mul(eu, tf.gather(items, n)), 1));
          return bprLoss(margin);
        },
        true,
        [users, items],
      );
      await loss!.data();
      tf.dispose([loss!, u, p, n]);
    },
    reps,
    warmup,
  );
  optimizer.dispose();
  tf.dispose([users, items]);
  return seconds * 1000;
};

const measure = async (backend: BackendName): Promise<EngineFigures> => {
  const engine = await initEngine({ backend })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const native = engine.right.native;
  process.stdout.write(`measuring backend ${backend}...\n`);
  // On cpu the gather gradient (UnsortedSegmentSum) alone takes minutes: time a single step there.
  return {
    matmulGflops: await matmulGflops(native ? 20 : 2),
    bprStepMs: await bprStepMs(native ? 50 : 1, native ? 2 : 0),
  };
};

const main = async (): Promise<void> => {
  const backends: BackendName[] = ["tensorflow", "cpu"];
  const figures: EngineFigures[] = [];
  for (const backend of backends) figures.push(await measure(backend));
  const rows: BenchRow[] = [
    {
      metric: `matmul ${MATMUL_N}^3`,
      unit: "GFLOP/s",
      values: figures.map((f) => f.matmulGflops),
      higherIsBetter: true,
    },
    {
      metric: `BPR step ${USERS}x${DIM} + ${ITEMS}x${DIM}, batch ${BATCH}, Adam`,
      unit: "ms/step",
      values: figures.map((f) => f.bprStepMs),
      higherIsBetter: false,
    },
  ];
  console.log(`\nkdrec engine benchmark (tfjs-core ${tf.version_core}, ${new Date().toISOString()})\n`);
  console.log(formatTable(backends, rows));
};

await main();
