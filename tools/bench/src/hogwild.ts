// `npm run bench:hogwild`: what whole-epoch kernels and two Hogwild threads cost in quality and
// gain in time. MovieLens-100K, leave-last-out, MF with BPR (Adam 1e-3, L2 1e-3, batch 1,024, one
// uniform negative), a fixed number of epochs, three seeds; test NDCG@10 and training seconds for
// each way of taking the same steps: step by step (trainStepWithGradient, the path `kdrec run`
// takes), whole epochs in one kernel call on one thread (the same steps up to float rounding), and
// whole epochs on two threads over shared tables (Hogwild: the updates race).
import { formatKdrecError, initEngine, seededRandom } from "@kdrec/core";
import { asItemLists, leaveLastOut, pairwiseBatches, uniformNegatives, userItemSets } from "@kdrec/data";
import { rowBprGradient } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { type KernelPool, MatrixFactorization } from "@kdrec/students";
import { startKernelPool } from "@kdrec/students/node";
import * as E from "fp-ts/lib/Either.js";
import { movieLens100K, orThrow } from "./support.js";

const EPOCHS = 60;
const SEEDS = [1, 2, 3];
type Path = "step by step" | "epoch kernel, 1 thread" | "Hogwild, 2 threads";

const main = async (): Promise<void> => {
  const engine = await initEngine({ backend: "tensorflow" })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  const ml = await movieLens100K();
  const split = leaveLastOut(ml.interactions);
  const [users, items] = [ml.interactions.userIds.length, ml.interactions.itemIds.length];
  const sampler = orThrow(uniformNegatives(userItemSets(split.train)));
  const pool = await startKernelPool({ threads: 2 });
  const bpr = rowBprGradient();

  const run = async (path: Path, dim: number, seed: number, threads: KernelPool | undefined) => {
    const config = { users, items, dim, seed, l2: 1e-3, optimizer: { kind: "adam", learningRate: 1e-3 } } as const;
    const model = MatrixFactorization.create(config, threads === undefined ? {} : { pool: threads });
    let seconds = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      const batches = [...pairwiseBatches(split.train, sampler, 1024, seededRandom(seed).split(`epoch-${epoch}`))];
      const start = performance.now();
      if (path === "step by step")
        for (const batch of batches)
          model.trainStepWithGradient(asItemLists(batch), (scores, gradient) =>
            bpr({ rows: batch.users.length, width: 2, student: scores }, 1, gradient),
          );
      else model.trainPairwiseEpoch(batches);
      seconds += (performance.now() - start) / 1000;
    }
    const scorer = model.allItemScorer();
    const report = orThrow(
      await evaluateFullRanking(scorer.score, { heldOut: split.test, exclude: [split.train, split.valid] }),
    );
    scorer.dispose();
    return { ndcg: report.summary["ndcg@10"]!.mean, seconds };
  };

  console.log(
    `kdrec Hogwild benchmark: MovieLens-100K, MF with BPR, ${EPOCHS} epochs, seeds ${SEEDS.join(", ")} (sampling not timed)\n`,
  );
  console.log("dim  path                      test NDCG@10 per seed        mean     training s (mean)");
  for (const dim of [8, 64]) {
    for (const path of ["step by step", "epoch kernel, 1 thread", "Hogwild, 2 threads"] as const) {
      const results = [];
      for (const seed of SEEDS)
        results.push(await run(path, dim, seed, path === "Hogwild, 2 threads" ? pool : undefined));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `${String(dim).padEnd(4)} ${path.padEnd(25)} ${results.map((r) => r.ndcg.toFixed(4)).join("  ")}   ${mean(results.map((r) => r.ndcg)).toFixed(4)}   ${mean(
          results.map((r) => r.seconds),
        )
          .toFixed(2)
          .padStart(8)}`,
      );
    }
  }
  await pool.close();
};

await main();
