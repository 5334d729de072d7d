// `npm run bench:serve-latency`: per-user top-10 latency of the SASRec teacher and the
// hierarchical tower student, one user at a time (real-time serving), each user with a history of
// 50 items, on MovieLens-100K's shapes; plus parameter counts and weight-file sizes. The tower is
// timed twice: through its TF.js scorer and through @kdrec/serving (plain typed-array loops, how it
// is served). MF-128 and MF-8 (per-user tables, no history) are printed beside as reference points.
import { formatKdrecError, initEngine } from "@kdrec/core";
import {
  itemsOf,
  leaveLastOut,
  numItems,
  numUsers,
  selectRows,
  sequencePositions,
  userSequences,
  userTimelines,
} from "@kdrec/data";
import { mfScorer, topK, towerScorer } from "@kdrec/serving";
import { HierarchicalAttentionTower, MatrixFactorization } from "@kdrec/students";
import { SequentialTransformer } from "@kdrec/teachers";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { movieLens100K } from "./support.js";

const HISTORY = 50;
/** The tower of `examples/ml-100k/sasrec-tower.json`: under 10% of the teacher's parameters. */
const TOWER_DIM = 11;
const USERS = 400;

interface Served {
  readonly name: string;
  readonly params: number;
  readonly weightBytes: number;
  /** One user's top 10, read back. */
  readonly top10: (user: number) => Promise<void>;
  readonly dispose: () => void;
}

const onBackend = (scorer: { score: (users: Int32Array) => tf.Tensor2D; dispose: () => void }) => ({
  top10: async (u: number) => {
    const top = tf.tidy(() => tf.topk(scorer.score(Int32Array.of(u)), 10).indices);
    await top.data();
    top.dispose();
  },
  dispose: scorer.dispose,
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Latencies (ms) of scoring one user and reading back their top 10, for each of `users`. */
const latencies = async (model: Served, users: Int32Array): Promise<number[]> => {
  const once = model.top10;
  for (let k = 0; k < 20; k++) await once(users[k % users.length]!); // warm-up
  const out: number[] = [];
  for (const u of users) {
    const start = performance.now();
    await once(u);
    out.push(performance.now() - start);
  }
  return out.sort((a, b) => a - b);
};

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const { train } = leaveLastOut((await movieLens100K()).interactions);
  const [users, items] = [numUsers(train), numItems(train)];
  // Users with at least 50 training items, each served from exactly their latest 50.
  const sequences = userSequences(train);
  const eligible = Int32Array.from({ length: users }, (_, u) => u).filter(
    (u) => itemsOf(sequences, u).length >= HISTORY,
  );
  const served = eligible.subarray(0, USERS);
  const positions = sequencePositions(train);
  const recent = selectRows(
    train,
    Int32Array.from({ length: train.users.length }, (_, r) => r).filter(
      (r) => positions[r]! >= itemsOf(sequences, train.users[r]!).length - HISTORY,
    ),
  );

  const sasrec = SequentialTransformer.create({ items, hidden: 64, blocks: 2, heads: 2, maxLength: HISTORY }, train);
  const tower = HierarchicalAttentionTower.create({ items, dim: TOWER_DIM, positions: true }, train);
  const mf128 = MatrixFactorization.create({ users, items, dim: 128 });
  const mf8 = MatrixFactorization.create({ users, items, dim: 8 });
  const bytes = (weights: Array<{ values: Float32Array }>) => weights.reduce((n, w) => n + w.values.byteLength, 0);
  const towerServed = towerScorer(tower.config, tower.namedWeights());
  if (E.isLeft(towerServed)) throw new Error(formatKdrecError(towerServed.left));
  const mf8Weights = [
    { name: "user_factors", shape: [users, 8], values: mf8.userFactors },
    { name: "item_factors", shape: [items, 8], values: mf8.itemFactors },
  ];
  const mf8Served = mfScorer(mf8.config, mf8Weights);
  if (E.isLeft(mf8Served)) throw new Error(formatKdrecError(mf8Served.left));
  const timelines = userTimelines(recent);
  const models: Served[] = [
    {
      name: "SASRec teacher (hidden 64, 2 blocks), TF.js",
      params: sasrec.parameterCount,
      weightBytes: bytes(sasrec.namedWeights()),
      ...onBackend(sasrec.allItemScorer(recent)),
    },
    {
      name: `tower student (d = ${TOWER_DIM}, recency), @kdrec/serving`,
      params: tower.parameterCount,
      weightBytes: bytes(tower.namedWeights()),
      top10: async (u) => {
        const from = timelines.offsets[u]!;
        const to = timelines.offsets[u + 1]!;
        const history = { items: timelines.items.subarray(from, to), times: timelines.times!.subarray(from, to) };
        // What the recommender does per request: score, leave out the history, pick the top 10.
        topK(towerServed.right.scoreHistory!(history), 10, new Set(history.items));
      },
      dispose: () => undefined,
    },
    {
      name: `tower student (d = ${TOWER_DIM}, recency), TF.js`,
      params: tower.parameterCount,
      weightBytes: bytes(tower.namedWeights()),
      ...onBackend(tower.allItemScorer(recent)),
    },
    {
      name: "MF-128 (per-user table), TF.js",
      params: mf128.parameterCount,
      weightBytes: mf128.parameterCount * 4,
      ...onBackend(mf128.allItemScorer()),
    },
    {
      name: "MF-8 (per-user table), @kdrec/serving",
      params: mf8.parameterCount,
      weightBytes: mf8.parameterCount * 4,
      top10: async (u) => {
        const from = timelines.offsets[u]!;
        topK(mf8Served.right.scoreUser!(u), 10, new Set(timelines.items.subarray(from, timelines.offsets[u + 1]!)));
      },
      dispose: () => undefined,
    },
    {
      name: "MF-8 (per-user table), TF.js",
      params: mf8.parameterCount,
      weightBytes: mf8.parameterCount * 4,
      ...onBackend(mf8.allItemScorer()),
    },
  ];
  console.log(
    `kdrec serving benchmark: MovieLens-100K shapes (${items} items), top-10 for one user at a time, history ${HISTORY}, ${served.length} users, backend ${engine.right.backend}\n`,
  );
  const header = ["model", "params", "weights KB", "p50 ms", "p99 ms", "mean ms"];
  const rowsOut: string[][] = [];
  const p50s: number[] = [];
  for (const model of models) {
    const ms = await latencies(model, served);
    p50s.push(percentile(ms, 0.5));
    rowsOut.push([
      model.name,
      model.params.toLocaleString("en-US"),
      (model.weightBytes / 1024).toFixed(0),
      percentile(ms, 0.5).toFixed(3),
      percentile(ms, 0.99).toFixed(3),
      (ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3),
    ]);
    model.dispose();
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rowsOut.map(line)].join("\n"));
  console.log(
    `\nstudent (served) vs teacher: ${(p50s[0]! / p50s[1]!).toFixed(1)}x faster at p50 (${(p50s[0]! / p50s[2]!).toFixed(1)}x through TF.js), ${(models[0]!.params / models[1]!.params).toFixed(1)}x fewer parameters`,
  );
  sasrec.dispose();
  tower.dispose();
};

await main();
