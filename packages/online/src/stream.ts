/**
 * The streaming protocol: all interactions in time order; a model trains on the first share, then
 * for each later window first predicts every interaction of the window (full ranking over the
 * items known so far, the user's earlier items left out), then may update on it.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { Interactions } from "@kdrec/data";
import * as E from "fp-ts/lib/Either.js";

/**
 * Where the stream starts and how many windows follow.
 * @category Stream
 */
export interface StreamProtocol {
  /** Share of the interactions (in time order) the model first trains on; default 0.7. */
  readonly start?: number;
  /** Windows the rest is cut into (equal numbers of interactions); default 10. */
  readonly windows?: number;
}

/**
 * A dataset cut for the streaming protocol. Every part shares the full data's ids and index space,
 * so a user or item that first appears in window 3 has the same index throughout.
 * @category Stream
 */
export interface StreamSplit {
  readonly initial: Interactions;
  readonly windows: ReadonlyArray<Interactions>;
}

const subset = (data: Interactions, rows: Int32Array): Interactions => ({
  users: Int32Array.from(rows, (r) => data.users[r]!),
  items: Int32Array.from(rows, (r) => data.items[r]!),
  ...(data.timestamps === undefined ? {} : { timestamps: Float64Array.from(rows, (r) => data.timestamps![r]!) }),
  ...(data.ratings === undefined ? {} : { ratings: Float32Array.from(rows, (r) => data.ratings![r]!) }),
  userIds: data.userIds,
  itemIds: data.itemIds,
});

/**
 * Orders the interactions by time (ties in file order) and cuts them: the first `start` share, then
 * `windows` consecutive windows. Fails without timestamps or with fewer interactions than windows.
 * @example
 * ```ts
 * const stream = streamSplit(data.interactions, { start: 0.7, windows: 10 });
 * if (E.isRight(stream)) console.log(stream.right.windows.length); // 10
 * ```
 * @category Stream
 */
export const streamSplit = (data: Interactions, protocol: StreamProtocol = {}): E.Either<KdrecError, StreamSplit> => {
  const start = protocol.start ?? 0.7;
  const windows = protocol.windows ?? 10;
  const times = data.timestamps;
  if (times === undefined)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        "the stream protocol orders interactions by time: the data has no timestamps",
        "protocol",
      ),
    );
  if (!(start > 0 && start < 1) || !(Number.isInteger(windows) && windows >= 1))
    return E.left(
      kdrecError(
        "INVALID_CONFIG",
        `expected 0 < start < 1 and a whole number of windows, got ${start}, ${windows}`,
        "protocol",
      ),
    );
  const n = data.users.length;
  const first = Math.floor(start * n);
  if (n - first < windows)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `${n - first} interactions after the start cannot fill ${windows} windows`,
        "protocol",
      ),
    );
  const order = Int32Array.from({ length: n }, (_, r) => r).sort((a, b) => times[a]! - times[b]! || a - b);
  const cut = (from: number, to: number) => subset(data, order.subarray(from, to));
  const rest = n - first;
  return E.right({
    initial: cut(0, first),
    windows: Array.from({ length: windows }, (_, w) =>
      cut(first + Math.floor((w * rest) / windows), first + Math.floor(((w + 1) * rest) / windows)),
    ),
  });
};

/**
 * What is known before a window: the items seen so far (a mask) and each user's items so far.
 * @category Stream
 */
export class StreamState {
  readonly knownItems: Uint8Array;
  private readonly byUser: Array<Set<number>>;

  constructor(users: number, items: number) {
    this.knownItems = new Uint8Array(items);
    this.byUser = Array.from({ length: users }, () => new Set<number>());
  }

  /** Records a window's (or the initial data's) interactions as known. */
  add(data: Interactions): void {
    for (let r = 0; r < data.users.length; r++) {
      this.knownItems[data.items[r]!] = 1;
      this.byUser[data.users[r]!]!.add(data.items[r]!);
    }
  }

  /** The items `user` has interacted with so far. */
  itemsOf(user: number): ReadonlySet<number> {
    return this.byUser[user]!;
  }

  /** Whether `user` has any interaction so far. */
  knows(user: number): boolean {
    return this.byUser[user]!.size > 0;
  }
}

/**
 * One window's next-item quality.
 * @category Stream
 */
export interface WindowQuality {
  readonly "hr@10": number;
  readonly "ndcg@10": number;
  /** Interactions evaluated. */
  readonly interactions: number;
  /** Of them, those whose item was unknown before the window (counted as misses). */
  readonly unknownItems: number;
  /** Of them, those whose user was unknown before the window. */
  readonly newUsers: number;
}

/**
 * Evaluates every interaction of `window` as a next-item prediction with the state before it: the
 * held-out item's rank among the known items the user has not interacted with so far (ties count
 * against it, NaN as the lowest score); an item unknown so far cannot be ranked and counts as a
 * miss. `scoreUser` gives a user's scores over the whole catalogue.
 * @category Stream
 */
export const evaluateWindow = (
  scoreUser: (user: number) => Float32Array,
  window: Interactions,
  state: StreamState,
): WindowQuality => {
  let hits = 0;
  let ndcg = 0;
  let unknownItems = 0;
  let newUsers = 0;
  const byUser = new Map<number, number[]>();
  for (let r = 0; r < window.users.length; r++) {
    const rows = byUser.get(window.users[r]!) ?? [];
    rows.push(window.items[r]!);
    byUser.set(window.users[r]!, rows);
  }
  const known = state.knownItems;
  for (const [user, targets] of byUser) {
    if (!state.knows(user)) newUsers += targets.length;
    const scores = scoreUser(user);
    const seen = state.itemsOf(user);
    for (const target of targets) {
      if (known[target] !== 1) {
        unknownItems += 1;
        continue;
      }
      const t = Number.isNaN(scores[target]!) ? -Number.MAX_VALUE : scores[target]!;
      let rank = 0;
      for (let i = 0; i < scores.length && rank < 10; i++) {
        if (i === target || known[i] !== 1 || seen.has(i)) continue;
        const s = Number.isNaN(scores[i]!) ? -Number.MAX_VALUE : scores[i]!;
        if (s >= t) rank++;
      }
      if (rank < 10) {
        hits += 1;
        ndcg += 1 / Math.log2(rank + 2);
      }
    }
  }
  const n = window.users.length;
  return { "hr@10": hits / n, "ndcg@10": ndcg / n, interactions: n, unknownItems, newUsers };
};
