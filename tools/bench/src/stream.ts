// `npm run bench:stream`: the streaming protocol on MovieLens-100K (interactions in time order;
// train on the first 70%, then predict each of 10 windows before updating on it), three seeds:
// a frozen MF-8 student, one retrained from scratch before every window, one updated
// incrementally, and one updated incrementally while distilling online from an MF-64 teacher
// that is itself refreshed on each window. Prints quality per method and the update cost.
import { formatKdrecError, initEngine } from "@kdrec/core";
import { runStream, type StreamMethod, type StreamMethodResult } from "@kdrec/online";
import * as E from "fp-ts/lib/Either.js";
import { movieLens100K } from "./support.js";

const SEEDS = [1, 2, 3];
const METHODS: StreamMethod[] = ["frozen", "retrain", "incremental", "incremental-kd"];

const meanStd = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return `${mean.toFixed(4)} ± ${std.toFixed(4)}`;
};

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const data = (await movieLens100K()).interactions;
  console.log(
    `kdrec streaming benchmark (${new Date().toISOString()}): MovieLens-100K, start 70%, 10 windows, MF-8 student, MF-64 teacher, seeds ${SEEDS.join(", ")}\n`,
  );
  const runs: Array<Readonly<Record<StreamMethod, StreamMethodResult>>> = [];
  for (const seed of SEEDS) {
    const result = runStream(data, {
      seed,
      student: { dim: 8 },
      teacher: { dim: 64 },
      protocol: { start: 0.7, windows: 10 },
    });
    if (E.isLeft(result)) throw new Error(formatKdrecError(result.left));
    runs.push(result.right);
    const r = result.right;
    console.log(`seed ${seed}: NDCG@10 ${METHODS.map((m) => `${m} ${r[m]["ndcg@10"].toFixed(4)}`).join(", ")}`);
  }
  const first = runs[0]!;
  const windows = first.frozen.windows;
  console.log(
    `\nper window (seed 1): interactions by users new to the stream ${windows.map((w) => w.newUsers).join(", ")}; items new to it ${windows.map((w) => w.unknownItems).join(", ")} (of ${windows.map((w) => w.interactions).join(", ")})`,
  );
  console.log(
    `\n${"method".padEnd(16)} ${"NDCG@10".padStart(17)} ${"HR@10".padStart(17)} ${"update interactions".padStart(20)} ${"update s".padStart(9)} ${"vs retrain".padStart(11)}`,
  );
  const retrainCost = runs.reduce((a, r) => a + r.retrain.updates.interactions, 0);
  for (const method of METHODS) {
    const cost = runs.reduce((a, r) => a + r[method].updates.interactions, 0);
    const seconds = runs.reduce((a, r) => a + r[method].updates.seconds, 0) / runs.length;
    console.log(
      `${method.padEnd(16)} ${meanStd(runs.map((r) => r[method]["ndcg@10"])).padStart(17)} ${meanStd(runs.map((r) => r[method]["hr@10"])).padStart(17)} ${Math.round(
        cost / runs.length,
      )
        .toLocaleString("en-US")
        .padStart(20)} ${seconds.toFixed(1).padStart(9)} ${`${((100 * cost) / retrainCost).toFixed(1)}%`.padStart(11)}`,
    );
  }
  const kd = runs.map((r) => r["incremental-kd"]["ndcg@10"]);
  const retrain = runs.map((r) => r.retrain["ndcg@10"]);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  console.log(
    `\nincremental-kd vs retrain: ${((100 * (mean(kd) - mean(retrain))) / mean(retrain)).toFixed(1)}% NDCG@10 (target: within 2%), at ${((100 * runs.reduce((a, r) => a + r["incremental-kd"].updates.interactions, 0)) / retrainCost).toFixed(1)}% of its update compute (target: ≤ 10%); the initial training (shared; the teacher's too for incremental-kd) is not counted`,
  );
};

await main();
