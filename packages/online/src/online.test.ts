import { seededRandom } from "@kdrec/core";
import { type Interactions, syntheticDataset } from "@kdrec/data";
import { MatrixFactorization } from "@kdrec/students";
import { describeEachBackend } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { foldInUsers, incrementalUpdate, trainOnPairs } from "./incremental.js";
import { runStream } from "./protocol.js";
import { evaluateWindow, StreamState, streamSplit } from "./stream.js";

const interactions = (
  rows: ReadonlyArray<readonly [number, number, number]>,
  users: number,
  items: number,
): Interactions => ({
  users: Int32Array.from(rows, ([u]) => u),
  items: Int32Array.from(rows, ([, i]) => i),
  timestamps: Float64Array.from(rows, ([, , t]) => t),
  userIds: Array.from({ length: users }, (_, u) => `u${u}`),
  itemIds: Array.from({ length: items }, (_, i) => `i${i}`),
});

/**
 * Two taste groups over 40 items: users 0–29 like items 0–19, users 30–59 items 20–39; user 60 is
 * new in the stream (a group-B taste), and item 40 is new (taken by group-A users).
 */
const twoGroups = () => {
  const rng = seededRandom(5);
  const rows: Array<[number, number, number]> = [];
  let t = 0;
  for (let u = 0; u < 60; u++) {
    const base = u < 30 ? 0 : 20;
    const chosen = new Set<number>();
    while (chosen.size < 10) chosen.add(base + rng.int(20));
    for (const i of chosen) rows.push([u, i, t++]);
  }
  const past = interactions(rows, 61, 41);
  const events = interactions(
    [
      ...[1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((u) => [u, 40, t++] as [number, number, number]),
      [60, 21, t++],
      [60, 25, t++],
      [60, 33, t++],
    ],
    61,
    41,
  );
  return { past, events };
};

/** An MF-6 trained on the two groups' past (30 epochs), with the state that past makes. */
const trainedOnTwoGroups = () => {
  const { past, events } = twoGroups();
  const model = MatrixFactorization.create({
    users: 61,
    items: 41,
    dim: 6,
    seed: 2,
    optimizer: { kind: "adam", learningRate: 0.02 },
  });
  const state = new StreamState(61, 41);
  state.add(past);
  trainOnPairs(model, past.users, past.items, state, { epochs: 30, seed: 1 });
  return { past, events, model, state };
};

describeEachBackend("online distillation", () => {
  it("cuts the stream in time order: the first share, then equal windows", () => {
    const rows = Array.from({ length: 100 }, (_, r) => [r % 7, r % 11, 1000 - r] as [number, number, number]);
    const stream = streamSplit(interactions(rows, 7, 11), { start: 0.6, windows: 4 });
    if (E.isLeft(stream)) throw new Error(stream.left.message);
    expect(stream.right.initial.users.length).toBe(60);
    expect(stream.right.windows.map((w) => w.users.length)).toEqual([10, 10, 10, 10]);
    const times = [stream.right.initial, ...stream.right.windows].flatMap((part) => Array.from(part.timestamps!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const { timestamps: _times, ...untimed } = interactions(rows, 7, 11);
    expect(E.isLeft(streamSplit(untimed))).toBe(true);
  });

  it("evaluates a window against what was known before it: unknown items are misses, seen items left out", () => {
    const state = new StreamState(2, 5);
    state.add(
      interactions(
        [
          [0, 0, 0],
          [0, 1, 1],
          [1, 2, 2],
        ],
        2,
        5,
      ),
    );
    // Scores rise with the index; items 3 and 4 are unknown until the window.
    const scores = () => Float32Array.of(0, 1, 2, 3, 4);
    const quality = evaluateWindow(
      scores,
      interactions(
        [
          [0, 2, 3],
          [1, 1, 4],
          [1, 4, 5],
        ],
        2,
        5,
      ),
      state,
    );
    // User 0: item 2 is the best known item it has not seen (0 and 1 are seen): rank 0. User 1:
    // item 1 competes only with item 0 (2 is seen, 3 and 4 unknown), which scores lower: rank 0.
    // Item 4 is unknown before the window: a miss.
    expect(quality.interactions).toBe(3);
    expect(quality.unknownItems).toBe(1);
    expect(quality["hr@10"]).toBeCloseTo(2 / 3, 10);
    expect(quality["ndcg@10"]).toBeCloseTo(2 / 3, 10);
  });

  it("folds a new user in by least squares: the normal equations hold and their items score highest", () => {
    const { model } = trainedOnTwoGroups();
    foldInUsers(model, [60], () => [21, 25, 33], { regularization: 0.1, negativeWeight: 0.01 });
    const p = Array.from(model.userFactors.subarray(60 * 6, 61 * 6));
    const Q = model.itemFactors;
    // (w₀·QᵀQ + Σᵢ qᵢqᵢᵀ + λI) p = Σᵢ qᵢ, checked row by row.
    for (let a = 0; a < 6; a++) {
      let left = 0.1 * p[a]!;
      let right = 0;
      for (let i = 0; i < 41; i++) {
        const weight = 0.01 + ([21, 25, 33].includes(i) ? 1 : 0);
        let dot = 0;
        for (let b = 0; b < 6; b++) dot += Q[i * 6 + b]! * p[b]!;
        left += weight * Q[i * 6 + a]! * dot;
        if ([21, 25, 33].includes(i)) right += Q[i * 6 + a]!;
      }
      expect(left).toBeCloseTo(right, 3);
    }
    // The new user now prefers group B's items to group A's.
    const score = (i: number) => p.reduce((s, x, b) => s + x * Q[i * 6 + b]!, 0);
    const mean = (items: number[]) => items.reduce((s, i) => s + score(i), 0) / items.length;
    expect(mean([20, 22, 23, 24, 26, 27, 28, 29, 30])).toBeGreaterThan(mean([0, 1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it("an update makes a new user recommendable and a new item recommended, without retraining", () => {
    const { past, events, model, state } = trainedOnTwoGroups();
    const rankOf = (user: number, item: number) => {
      const P = model.userFactors;
      const Q = model.itemFactors;
      const score = (i: number) => {
        let s = 0;
        for (let b = 0; b < 6; b++) s += P[user * 6 + b]! * Q[i * 6 + b]!;
        return s;
      };
      let rank = 0;
      for (let i = 0; i < 41; i++) if (i !== item && !state.itemsOf(user).has(i) && score(i) >= score(item)) rank++;
      return rank;
    };
    const cost = incrementalUpdate(model, events, past, state, { epochs: 20, replay: 2, seed: 3 });
    expect(cost).toBe(events.users.length * 3 * 20); // events plus twice as many replayed, 20 epochs
    // Item 40, new, was taken by odd group-A users: an even group-A user who has not taken it gets it in their top 10.
    expect(rankOf(2, 40)).toBeLessThan(10);
    // And not a group-B user.
    expect(rankOf(45, 40)).toBeGreaterThan(rankOf(2, 40));
    // User 60, new, is served group-B items first.
    const top = Array.from({ length: 41 }, (_, i) => i)
      .filter((i) => !state.itemsOf(60).has(i))
      .sort((a, b) => rankOf(60, a) - rankOf(60, b))
      .slice(0, 5);
    expect(top.every((i) => i >= 20 && i < 40)).toBe(true);
  });

  it("runs the four-way comparison on a stream: updates cost a fraction of retraining, and beat the frozen model", () => {
    const data = syntheticDataset({ seed: 3, users: 120, items: 150 }).interactions;
    const result = runStream(data, {
      student: { dim: 8, epochs: 15, learningRate: 0.01 },
      teacher: { dim: 32, epochs: 15, learningRate: 0.01 },
      protocol: { start: 0.6, windows: 4 },
      distillation: { candidates: 30 },
      seed: 1,
    });
    if (E.isLeft(result)) throw new Error(result.left.message);
    const { frozen, retrain, incremental } = result.right;
    const kd = result.right["incremental-kd"];
    for (const method of [frozen, retrain, incremental, kd]) expect(method.windows).toHaveLength(4);
    // The first window is predicted by the same initial model everywhere.
    expect(retrain.windows[0]).toEqual(frozen.windows[0]);
    expect(frozen.updates.interactions).toBe(0);
    expect(incremental.updates.interactions).toBeLessThan(0.2 * retrain.updates.interactions);
    expect(kd.updates.interactions).toBeLessThan(0.4 * retrain.updates.interactions);
    expect(kd.initial.interactions).toBe(2 * frozen.initial.interactions); // the teacher's initial training too
    expect(incremental["ndcg@10"]).toBeGreaterThan(frozen["ndcg@10"]);
  });
});
