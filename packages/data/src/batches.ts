/**
 * Training batches. One epoch visits every training interaction exactly once, in an order drawn
 * from the epoch's random stream; negatives come from a {@link NegativeSampler}. Batch sizes
 * that are not positive integers are programming errors and throw `RangeError`.
 * @module
 */
import type { Random } from "@kdrec/core";
import type { Interactions } from "./interactions.js";
import type { NegativeSampler } from "./negative_sampling.js";
import { itemsOf, type UserItems } from "./user_items.js";

/** (user, item, label) rows: each positive followed by its sampled negatives (label 0). @category Sampling */
export interface PointwiseBatch {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly labels: Float32Array;
}

/**
 * (user, positive, negative) triples for pairwise losses such as BPR; `rows` are the training
 * interactions the positives come from (what sequence models need to find each row's history).
 * @category Sampling
 */
export interface PairwiseBatch {
  readonly users: Int32Array;
  readonly positives: Int32Array;
  readonly negatives: Int32Array;
  readonly rows: Int32Array;
}

/** A positive and `listSize` sampled items per row: `candidates[b * listSize + j]`. @category Sampling */
export interface ListwiseBatch {
  readonly users: Int32Array;
  readonly positives: Int32Array;
  readonly candidates: Int32Array;
  readonly listSize: number;
}

/**
 * The last `maxLength` items of each user's history, left-padded with `padding` (= the number of
 * items, an index one past the catalogue): `sequences[b * maxLength + j]`.
 * @category Sampling
 */
export interface SequenceBatch {
  readonly users: Int32Array;
  readonly sequences: Int32Array;
  readonly lengths: Int32Array;
  readonly maxLength: number;
  readonly padding: number;
}

/** The order in which an epoch visits `n` rows: a seeded permutation. */
/** 0 … n − 1 (a loop: `Int32Array.from` with a mapping function is several times slower). */
const range = (n: number): Int32Array => {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
};

const epochOrder = (n: number, rng: Random): Int32Array => rng.shuffle(range(n));

function* chunks(order: Int32Array, batchSize: number): Generator<Int32Array> {
  for (let start = 0; start < order.length; start += batchSize) yield order.subarray(start, start + batchSize);
}

/**
 * The indices 0 … n − 1 in consecutive batches of `batchSize` (the last one shorter): e.g. every
 * user, a batch at a time, for scoring against all items.
 * @category Sampling
 */
export function* indexBatches(n: number, batchSize: number): Generator<Int32Array> {
  yield* chunks(range(n), batchSize);
}

/**
 * One epoch of pairwise batches: every training interaction once, each with one sampled negative.
 * With `byUser`, each user's rows come together (users in a seeded order).
 * @example
 * ```ts
 * for (const batch of pairwiseBatches(split.train, sampler, 1024, rng.split(`epoch-${epoch}`))) train(batch);
 * ```
 * @category Sampling
 */
export function* pairwiseBatches(
  train: Interactions,
  sampler: NegativeSampler,
  batchSize: number,
  rng: Random,
  options: { readonly byUser?: boolean } = {},
): Generator<PairwiseBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new RangeError(`pairwiseBatches: batchSize must be a positive integer, got ${batchSize}`);
  const negativeRng = rng.split("negatives");
  const order =
    options.byUser === true
      ? userGroupedOrder(train, rng.split("order"))
      : epochOrder(train.users.length, rng.split("order"));
  for (const rows of chunks(order, batchSize)) {
    // Plain loops: Int32Array.from with a mapping function costs more than the sampling itself.
    const users = new Int32Array(rows.length);
    const positives = new Int32Array(rows.length);
    const negatives = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      users[k] = train.users[rows[k]!]!;
      positives[k] = train.items[rows[k]!]!;
    }
    for (let k = 0; k < rows.length; k++) negatives[k] = sampler.sample(users[k]!, negativeRng);
    yield { users, positives, negatives, rows: rows.slice() };
  }
}

/**
 * Rows grouped by user (users in a seeded order, each user's rows together): what sequence
 * models want, since one pass over a user's history serves all of that user's rows.
 */
const userGroupedOrder = (train: Interactions, rng: Random): Int32Array => {
  const users = train.userIds.length;
  const starts = new Int32Array(users + 1);
  for (let r = 0; r < train.users.length; r++) starts[train.users[r]! + 1]! += 1;
  for (let u = 0; u < users; u++) starts[u + 1]! += starts[u]!;
  const byUser = new Int32Array(train.users.length);
  const fill = starts.slice(0, users);
  for (let r = 0; r < train.users.length; r++) byUser[fill[train.users[r]!]!++] = r;
  const order = new Int32Array(train.users.length);
  let write = 0;
  for (const u of epochOrder(users, rng)) {
    order.set(byUser.subarray(starts[u]!, starts[u + 1]!), write);
    write += starts[u + 1]! - starts[u]!;
  }
  return order;
};

/**
 * A pairwise batch as per-row item lists of width 2 (positive, then negative): the form models
 * that score item lists take.
 * @category Sampling
 */
export const asItemLists = (
  batch: PairwiseBatch,
): { users: Int32Array; items: Int32Array; width: 2; rows: Int32Array } => {
  const items = new Int32Array(batch.users.length * 2);
  for (let row = 0; row < batch.users.length; row++) {
    items[2 * row] = batch.positives[row]!;
    items[2 * row + 1] = batch.negatives[row]!;
  }
  return { users: batch.users, items, width: 2, rows: batch.rows };
};

/**
 * The user of every entry of per-row item lists: `users[b]` repeated `width` times, row by row
 * (what a model that scores (user, item) pairs needs beside the flat item list).
 * @category Sampling
 */
export const entryUsers = (users: Int32Array, width: number): Int32Array => {
  const out = new Int32Array(users.length * width);
  for (let b = 0; b < users.length; b++) out.fill(users[b]!, b * width, (b + 1) * width);
  return out;
};

/**
 * One epoch of pointwise batches: `batchSize` positives per batch, each followed by
 * `negativesPerPositive` sampled negatives with label 0.
 * @category Sampling
 */
export function* pointwiseBatches(
  train: Interactions,
  sampler: NegativeSampler,
  batchSize: number,
  negativesPerPositive: number,
  rng: Random,
): Generator<PointwiseBatch> {
  if (
    !(
      Number.isInteger(batchSize) &&
      batchSize > 0 &&
      Number.isInteger(negativesPerPositive) &&
      negativesPerPositive >= 0
    )
  ) {
    throw new RangeError(
      `pointwiseBatches: expected a positive batchSize and negativesPerPositive >= 0, got ${batchSize}, ${negativesPerPositive}`,
    );
  }
  const width = 1 + negativesPerPositive;
  const negativeRng = rng.split("negatives");
  for (const rows of chunks(epochOrder(train.users.length, rng.split("order")), batchSize)) {
    const users = new Int32Array(rows.length * width);
    const items = new Int32Array(rows.length * width);
    const labels = new Float32Array(rows.length * width);
    rows.forEach((r, b) => {
      const user = train.users[r]!;
      users.fill(user, b * width, (b + 1) * width);
      items[b * width] = train.items[r]!;
      labels[b * width] = 1;
      for (let k = 1; k < width; k++) items[b * width + k] = sampler.sample(user, negativeRng);
    });
    yield { users, items, labels };
  }
}

/**
 * One epoch of listwise batches: each training interaction with `listSize` sampled items.
 * @category Sampling
 */
export function* listwiseBatches(
  train: Interactions,
  sampler: NegativeSampler,
  batchSize: number,
  listSize: number,
  rng: Random,
): Generator<ListwiseBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(listSize) && listSize > 0)) {
    throw new RangeError(
      `listwiseBatches: expected positive integers batchSize and listSize, got ${batchSize}, ${listSize}`,
    );
  }
  const negativeRng = rng.split("negatives");
  for (const rows of chunks(epochOrder(train.users.length, rng.split("order")), batchSize)) {
    const users = Int32Array.from(rows, (r) => train.users[r]!);
    const positives = Int32Array.from(rows, (r) => train.items[r]!);
    const candidates = new Int32Array(rows.length * listSize);
    for (let i = 0; i < candidates.length; i++)
      candidates[i] = sampler.sample(users[Math.floor(i / listSize)]!, negativeRng);
    yield { users, positives, candidates, listSize };
  }
}

/**
 * Batches of users' most recent `maxLength` items, in a seeded user order; users without history
 * are skipped. With no `rng`, users come in index order (for evaluation).
 * @category Sampling
 */
export function* sequenceBatches(
  sequences: UserItems,
  maxLength: number,
  batchSize: number,
  rng?: Random,
): Generator<SequenceBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(maxLength) && maxLength > 0)) {
    throw new RangeError(
      `sequenceBatches: expected positive integers maxLength and batchSize, got ${maxLength}, ${batchSize}`,
    );
  }
  const numUsers = sequences.offsets.length - 1;
  const active = Int32Array.from({ length: numUsers }, (_, u) => u).filter((u) => itemsOf(sequences, u).length > 0);
  const order = rng === undefined ? active : rng.shuffle(active);
  const padding = sequences.numItems;
  for (const users of chunks(order, batchSize)) {
    const out = new Int32Array(users.length * maxLength).fill(padding);
    const lengths = new Int32Array(users.length);
    users.forEach((u, b) => {
      const history = itemsOf(sequences, u);
      const recent = history.subarray(Math.max(0, history.length - maxLength));
      out.set(recent, b * maxLength + (maxLength - recent.length));
      lengths[b] = recent.length;
    });
    yield { users: Int32Array.from(users), sequences: out, lengths, maxLength, padding };
  }
}
