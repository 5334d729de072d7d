// The whole protocol on real data: MovieLens-100K, leave-last-out, full ranking, MostPop.
// MostPop is deterministic, so with the reference's tie rule (optimistic) kdrec must reproduce
// the PyTorch reference's numbers exactly; kdrec's own rule (pessimistic) can only be lower.
import { itemPopularity, leaveLastOut, numItems } from "@kdrec/data";
import { loadMovieLens100K } from "@kdrec/data/node";
import { datasetDir, describeEachBackend, referenceJson } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { evaluateFullRanking } from "./full_ranking.js";

interface Reference {
  results: { mostpop: { hr10: number; ndcg10: number; hr20: number; ndcg20: number } };
}

describeEachBackend("full ranking on MovieLens-100K (real data)", () => {
  it("reproduces the reference's MostPop numbers", async () => {
    const loaded = await loadMovieLens100K(datasetDir("ml-100k"));
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    const split = leaveLastOut(loaded.right.interactions);
    const items = numItems(split.train);
    const popularity = Float32Array.from(itemPopularity(split.train.items, items));
    const scorer = (users: Int32Array) =>
      tf.tidy(() => tf.tile(tf.tensor2d(popularity, [1, items]), [users.length, 1]) as tf.Tensor2D);
    const options = { heldOut: split.test, exclude: [split.train, split.valid] };

    const optimistic = await evaluateFullRanking(scorer, { ...options, ties: "optimistic" });
    const pessimistic = await evaluateFullRanking(scorer, options);
    if (E.isLeft(optimistic) || E.isLeft(pessimistic)) throw new Error("evaluation failed");
    const reference = (referenceJson("ml-100k.json") as Reference).results.mostpop;
    const ours = optimistic.right.summary;
    expect(optimistic.right.users.length).toBe(943);
    expect(ours["hr@10"]!.mean).toBeCloseTo(reference.hr10, 6);
    expect(ours["ndcg@10"]!.mean).toBeCloseTo(reference.ndcg10, 6);
    expect(ours["hr@20"]!.mean).toBeCloseTo(reference.hr20, 6);
    expect(ours["ndcg@20"]!.mean).toBeCloseTo(reference.ndcg20, 6);
    expect(pessimistic.right.summary["ndcg@10"]!.mean).toBeLessThanOrEqual(ours["ndcg@10"]!.mean);
  });
}, ["tensorflow"]);
