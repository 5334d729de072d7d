// The batched evaluation against the plain reference, on random, tied, constant, NaN and infinite scores,
// for single held-out items (leave-last-out) and multi-item test sets (random split), per backend.
import { KdrecHeldOutRanks, seededRandom } from "@kdrec/core";
import { coldItemsSplit, type Interactions, leaveLastOut, randomSplit, syntheticDataset } from "@kdrec/data";
import { describeEachBackend, withoutEngineKernel } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import {
  evaluateFullRanking,
  type FullRankingOptions,
  type RankingReport,
  referenceFullRanking,
} from "./full_ranking.js";

const data = syntheticDataset({ seed: 11, users: 70, items: 90 }).interactions;
const single = leaveLastOut(data);
const multiSplit = randomSplit(data, 0.1, 0.3, 5);
if (E.isLeft(multiSplit)) throw new Error(multiSplit.left.message);
const multi = multiSplit.right;

const scoreMatrix = (kind: "random" | "tied" | "constant" | "nan" | "infinite"): Float32Array => {
  const rng = seededRandom(kind.length);
  return Float32Array.from({ length: 70 * 90 }, () => {
    if (kind === "constant") return 0.5;
    if (kind === "tied") return rng.int(3); // three score levels: ties everywhere
    if (kind === "nan") return rng.float() < 0.2 ? Number.NaN : rng.float();
    if (kind === "infinite") {
      // -∞ targets (at most the lowest finite score: ranked from their row read back), +∞, NaN.
      const r = rng.float();
      return r < 0.15
        ? Number.NEGATIVE_INFINITY
        : r < 0.25
          ? Number.POSITIVE_INFINITY
          : r < 0.35
            ? Number.NaN
            : rng.normal();
    }
    return rng.normal();
  });
};

const batched = async (scores: Float32Array, options: FullRankingOptions): Promise<RankingReport> => {
  const scorer = (users: Int32Array) =>
    tf.tidy(() => tf.gather(tf.tensor2d(scores, [70, 90]), tf.tensor1d(users, "int32")) as tf.Tensor2D);
  const report = await evaluateFullRanking(scorer, { batchSize: 16, ...options });
  if (E.isLeft(report)) throw new Error(report.left.message);
  return report.right;
};

const protocols: Array<[string, FullRankingOptions]> = [
  ["leave-last-out test", { heldOut: single.test, exclude: [single.train, single.valid], ks: [5, 10] }],
  [
    "random-split test (many items per user)",
    { heldOut: multi.test, exclude: [multi.train, multi.valid], ks: [5, 10] },
  ],
  ["optimistic ties", { heldOut: single.test, exclude: [single.train], ks: [10], ties: "optimistic" }],
];

const COUNTING = {
  engine: "on the engine (by kdrec's kernel on tensorflow)",
  "engine ops": "on the engine by TF.js ops (the kernel unregistered)",
  "read-back": "read back",
} as const;

describeEachBackend("evaluateFullRanking", (backend) => {
  for (const [protocol, options] of protocols) {
    for (const kind of ["random", "tied", "constant", "nan", "infinite"] as const) {
      // Counted by the engine's kernel, by TF.js ops and from the read-back scores: the same ranks.
      for (const counting of Object.keys(COUNTING) as Array<keyof typeof COUNTING>) {
        if (counting === "engine ops" && backend === "cpu") continue; // no kernel there: "engine" is it
        it(`matches the reference on ${kind} scores (${protocol}, ranks counted ${COUNTING[counting]})`, async () => {
          const scores = scoreMatrix(kind);
          const expected = referenceFullRanking(scores, options);
          const ranking = counting === "read-back" ? "read-back" : "engine";
          const actual =
            counting === "engine ops"
              ? await withoutEngineKernel(KdrecHeldOutRanks, () => batched(scores, { ...options, ranking }))
              : await batched(scores, { ...options, ranking });
          expect(actual.users).toEqual(expected.users);
          for (const [name, values] of Object.entries(expected.perUser)) {
            expect(Array.from(actual.perUser[name]!), name).toEqual(
              Array.from(values).map((v) => expect.closeTo(v, 10)),
            );
          }
        });
      }
    }
  }

  it("ranks among the candidates only: the same as every other item scoring below them all", async () => {
    const cold = coldItemsSplit(data, 0.2, 3);
    if (E.isLeft(cold)) throw new Error(cold.left.message);
    const candidates = cold.right.candidates!.test;
    const options = { heldOut: cold.right.test, exclude: [cold.right.train, cold.right.valid], ks: [5, 10] };
    for (const kind of ["random", "tied"] as const) {
      const scores = scoreMatrix(kind);
      // The reference, with every non-candidate pushed below every score (never counted against a target).
      const isCandidate = new Uint8Array(90);
      for (const i of candidates) isCandidate[i] = 1;
      const sunk = scores.map((v, k) => (isCandidate[k % 90] === 1 ? v : -1e30));
      const expected = referenceFullRanking(sunk, options);
      const actual = await batched(scores, { ...options, candidates });
      for (const [name, values] of Object.entries(expected.perUser))
        expect(Array.from(actual.perUser[name]!), name).toEqual(Array.from(values).map((v) => expect.closeTo(v, 10)));
      // And it is not the all-item ranking.
      expect(actual.summary["ndcg@10"]!.mean).not.toBeCloseTo(
        (await batched(scores, options)).summary["ndcg@10"]!.mean,
        6,
      );
    }
  });

  it("gives a constant scorer the worst rank and a perfect scorer the best", async () => {
    const options = { heldOut: single.test, exclude: [single.train, single.valid], ks: [10] };
    const constant = await batched(scoreMatrix("constant"), options);
    expect(constant.summary["hr@10"]!.mean).toBe(0);
    expect(constant.summary.mrr!.mean).toBeLessThan(0.05);

    const perfect = new Float32Array(70 * 90);
    single.test.users.forEach((u, r) => {
      perfect[u * 90 + single.test.items[r]!] = 1;
    });
    const best = await batched(perfect, options);
    expect([best.summary["hr@10"]!.mean, best.summary["ndcg@10"]!.mean, best.summary.mrr!.mean]).toEqual([1, 1, 1]);
  });

  it("leaves no tensor behind and refuses a scorer of the wrong shape", async () => {
    const before = tf.memory().numTensors;
    for (const ranking of ["engine", "read-back"] as const) {
      // Infinite scores send some targets down the engine path's row read-back too.
      await batched(scoreMatrix("infinite"), { ...protocols[1]![1], ranking });
      expect(tf.memory().numTensors, ranking).toBe(before);
    }
    const wrong = await evaluateFullRanking(() => tf.zeros([2, 3]) as tf.Tensor2D, protocols[0]![1]);
    expect(E.isLeft(wrong) && wrong.left.message).toMatch(/returned a 2x3 tensor; expected \d+x90/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses sets from different datasets and cut-offs beyond the catalogue", async () => {
    const other: Interactions = syntheticDataset({ seed: 1, users: 10, items: 20 }).interactions;
    const scorer = (users: Int32Array) => tf.zeros([users.length, 90]) as tf.Tensor2D;
    const mixed = await evaluateFullRanking(scorer, { heldOut: single.test, exclude: [other] });
    expect(E.isLeft(mixed) && mixed.left.message).toMatch(/share users and items/);
    const tooDeep = await evaluateFullRanking(scorer, { heldOut: single.test, exclude: [], ks: [91] });
    expect(E.isLeft(tooDeep) && tooDeep.left.message).toMatch(/cut-offs must be integers in \[1, 90\]/);
  });
});
