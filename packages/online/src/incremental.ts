/**
 * Incremental updates of a matrix-factorization student: new users folded in by a closed-form
 * least-squares step (as ALS computes a user's row from the item table), then a few epochs over
 * the new interactions plus a replay sample of older ones (against forgetting), optionally
 * distilling from a teacher that was refreshed on the same events.
 * @module
 */
import { type Random, seededRandom } from "@kdrec/core";
import type { Interactions } from "@kdrec/data";
import { rowBprGradient, softLabelGradient } from "@kdrec/losses";
import type { MatrixFactorization } from "@kdrec/students";
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import type { StreamState } from "./stream.js";

/**
 * Folds `users` into `model`: each user's row becomes the ridge solution that scores their items
 * (from `itemsOf`) 1 and every other item 0 with weight `negativeWeight` (implicit ALS's
 * fold-in: (w₀·QᵀQ + Σᵢ qᵢqᵢᵀ + λI) p = Σᵢ qᵢ), the item table held fixed.
 * @example
 * ```ts
 * foldInUsers(mf, [42], () => [3, 17, 99]);
 * ```
 * @category Online
 */
export const foldInUsers = (
  model: MatrixFactorization,
  users: Iterable<number>,
  itemsOf: (user: number) => Iterable<number>,
  options: { readonly regularization?: number; readonly negativeWeight?: number } = {},
): void => {
  const { dim, items } = model.config;
  const lambda = options.regularization ?? 0.1;
  const w0 = options.negativeWeight ?? 0.01;
  const Q = model.itemFactors;
  const gram = new Float64Array(dim * dim);
  for (let i = 0; i < items; i++)
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) gram[a * dim + b]! += Q[i * dim + a]! * Q[i * dim + b]!;
  const P = model.userFactors;
  for (const user of users) {
    const A = Float64Array.from(gram, (g) => w0 * g);
    const rhs = new Float64Array(dim);
    for (const item of itemsOf(user))
      for (let a = 0; a < dim; a++) {
        rhs[a]! += Q[item * dim + a]!;
        for (let b = 0; b < dim; b++) A[a * dim + b]! += Q[item * dim + a]! * Q[item * dim + b]!;
      }
    for (let a = 0; a < dim; a++) A[a * dim + a]! += lambda;
    const matrix = new Matrix(Array.from({ length: dim }, (_, a) => Array.from(A.subarray(a * dim, (a + 1) * dim))));
    const x = new CholeskyDecomposition(matrix).solve(Matrix.columnVector(Array.from(rhs)));
    for (let a = 0; a < dim; a++) P[user * dim + a] = x.get(a, 0);
  }
};

/**
 * Online distillation's settings: the teacher (already refreshed on the events), the share α of
 * the soft-label term, its temperature and the candidates per row.
 * @category Online
 */
export interface OnlineTeacher {
  readonly model: MatrixFactorization;
  /** Default 0.8. */
  readonly alpha?: number;
  /** Default 0.5. */
  readonly temperature?: number;
  /** Known items per row the soft labels spread over, beside the positive; default 100. */
  readonly candidates?: number;
}

/**
 * How an update trains.
 * @category Online
 */
export interface UpdateOptions {
  /** Epochs over the new interactions and the replay sample; default 5. */
  readonly epochs?: number;
  /** Replayed older interactions per new one; default 1. */
  readonly replay?: number;
  /** Default 1024. */
  readonly batchSize?: number;
  readonly seed?: number;
  /** Distil from this teacher too (online distillation). */
  readonly teacher?: OnlineTeacher;
}

/** Uniform draws among the known items a user has not interacted with (rejection sampling). */
const knownNegative =
  (known: Int32Array, state: StreamState) =>
  (user: number, rng: Random): number => {
    const seen = state.itemsOf(user);
    for (let attempt = 0; attempt < 64; attempt++) {
      const item = known[rng.int(known.length)]!;
      if (!seen.has(item)) return item;
    }
    return known[rng.int(known.length)]!;
  };

/** The known items, in index order. */
const knownItemList = (state: StreamState): Int32Array => {
  const out: number[] = [];
  state.knownItems.forEach((k, i) => {
    if (k === 1) out.push(i);
  });
  return Int32Array.from(out);
};

/**
 * Trains `model` for `epochs` over `rows` of (user, item) pairs (BPR on one negative among the
 * known items, or with a teacher (1 − α)·BPR + α·soft-label cross-entropy over the positive and
 * `candidates` known items). Returns the interactions processed (rows × epochs).
 * @category Online
 */
export const trainOnPairs = (
  model: MatrixFactorization,
  users: Int32Array,
  items: Int32Array,
  state: StreamState,
  options: Omit<UpdateOptions, "replay"> = {},
): number => {
  const epochs = options.epochs ?? 5;
  const batchSize = options.batchSize ?? 1024;
  const rng = seededRandom(options.seed ?? 0);
  const known = knownItemList(state);
  const negative = knownNegative(known, state);
  const teacher = options.teacher;
  const candidates = teacher?.candidates ?? 100;
  const alpha = teacher?.alpha ?? 0.8;
  const width = teacher === undefined ? 2 : candidates + 2;
  const bpr = rowBprGradient(teacher !== undefined);
  const soft = softLabelGradient(1, candidates + 1, teacher?.temperature ?? 0.5);
  const order = Int32Array.from({ length: users.length }, (_, r) => r);
  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.subarray(start, start + batchSize);
      const batchUsers = Int32Array.from(rows, (r) => users[r]!);
      const lists = new Int32Array(rows.length * width);
      for (let b = 0; b < rows.length; b++) {
        const [positive, sampled] = [items[rows[b]!]!, negative(batchUsers[b]!, rng)];
        // The soft-label layout puts the negative first: [negative, positive, candidates…].
        lists[b * width] = teacher === undefined ? positive : sampled;
        lists[b * width + 1] = teacher === undefined ? sampled : positive;
        for (let j = 2; j < width; j++) lists[b * width + j] = known[rng.int(known.length)]!;
      }
      const batch = { users: batchUsers, items: lists, width };
      model.trainStepWithGradient(batch, (scores, gradient) => {
        const arrays = { rows: rows.length, width, student: scores };
        if (teacher === undefined) return bpr(arrays, 1, gradient);
        const teacherScores = teacher.model.scoreLists(batch);
        const withTeacher = { ...arrays, teacher: teacherScores.dataSync() as Float32Array };
        teacherScores.dispose();
        return (1 - alpha) * bpr(withTeacher, 1 - alpha, gradient) + alpha * soft(withTeacher, alpha, gradient);
      });
    }
  }
  return users.length * epochs;
};

/**
 * Absorbs `events` (interactions after the model last trained) into `model` without retraining:
 * users new to `state` are folded in from their new items, the events are added to `state`, and
 * the model trains a few epochs on the events plus `replay` × as many older interactions drawn
 * from `past` (with a teacher, distilling online). Returns the interactions processed.
 * @example
 * ```ts
 * const cost = incrementalUpdate(mf, newEvents, past, state, { epochs: 5, replay: 1, seed: 1 });
 * ```
 * @category Online
 */
export const incrementalUpdate = (
  model: MatrixFactorization,
  events: Interactions,
  past: Interactions,
  state: StreamState,
  options: UpdateOptions = {},
): number => {
  const newUsers = new Map<number, number[]>();
  for (let r = 0; r < events.users.length; r++) {
    const user = events.users[r]!;
    if (!state.knows(user)) newUsers.set(user, [...(newUsers.get(user) ?? []), events.items[r]!]);
  }
  foldInUsers(model, newUsers.keys(), (user) => newUsers.get(user)!);
  state.add(events);
  const rng = seededRandom(options.seed ?? 0).split("replay");
  const replayed = Math.min(past.users.length, Math.round((options.replay ?? 1) * events.users.length));
  const users = new Int32Array(events.users.length + replayed);
  const items = new Int32Array(users.length);
  users.set(events.users);
  items.set(events.items);
  for (let k = 0; k < replayed; k++) {
    const r = rng.int(past.users.length);
    users[events.users.length + k] = past.users[r]!;
    items[events.users.length + k] = past.items[r]!;
  }
  return trainOnPairs(model, users, items, state, options);
};
