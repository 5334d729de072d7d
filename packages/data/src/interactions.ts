/**
 * Interactions held column by column in typed arrays, with dense 0-based user and item indices
 * and the original-id tables beside them.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { quoteField } from "./fields.js";

/**
 * A set of (user, item[, rating][, timestamp]) interactions. Row `r` is
 * `(users[r], items[r], ratings?.[r], timestamps?.[r])`; `userIds[u]` is the original id of
 * dense user `u`. Subsets (splits) share the id tables of the set they came from, so indices
 * mean the same thing in train, validation and test.
 * @category Data
 */
export interface Interactions {
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** Explicit ratings, where the source has them. */
  readonly ratings?: Float32Array;
  /** Seconds since the epoch (or any increasing clock), where the source has them. */
  readonly timestamps?: Float64Array;
  readonly userIds: ReadonlyArray<string>;
  readonly itemIds: ReadonlyArray<string>;
}

/**
 * Item side information: titles and categories (genres), indexed by dense item index.
 * @category Data
 */
export interface ItemSideInfo {
  readonly titles?: ReadonlyArray<string>;
  readonly categoryNames?: ReadonlyArray<string>;
  /** Categories of item `i`: `categoryIndex[categoryOffsets[i] .. categoryOffsets[i + 1])`. */
  readonly categoryOffsets?: Int32Array;
  readonly categoryIndex?: Int32Array;
}

/**
 * User side information: named categorical columns (age, gender, occupation…) by dense user index.
 * @category Data
 */
export interface UserSideInfo {
  readonly columns: Readonly<Record<string, ReadonlyArray<string>>>;
  /**
   * The columns that are quantities, bucketed by decade as features (`age=20s`); absent: every
   * column whose values are all numbers. A loader that knows its columns says (MovieLens 1M codes
   * its occupations and age groups with numbers: categories, not quantities).
   */
  readonly quantities?: ReadonlyArray<string>;
}

/**
 * A loaded dataset: its interactions, side information and declared rating range.
 * @category Data
 */
export interface Dataset {
  readonly name: string;
  readonly interactions: Interactions;
  readonly items?: ItemSideInfo;
  readonly users?: UserSideInfo;
  /** The rating scale the source declares, e.g. [1, 5]. */
  readonly ratingRange?: readonly [number, number];
}

/**
 * The number of users (the size of the user-id table).
 * @category Data
 */
export const numUsers = (data: Interactions): number => data.userIds.length;
/**
 * The number of items (the size of the item-id table).
 * @category Data
 */
export const numItems = (data: Interactions): number => data.itemIds.length;
/**
 * The number of interactions (rows).
 * @category Data
 */
export const numInteractions = (data: Interactions): number => data.users.length;

/**
 * The rows `rows` of `data`, in that order, sharing its id tables.
 * @category Data
 */
export const selectRows = (data: Interactions, rows: Int32Array): Interactions => {
  const pick = <A extends Int32Array | Float32Array | Float64Array>(column: A): A => {
    const out = new (column.constructor as new (n: number) => A)(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = column[rows[i]!]!;
    return out;
  };
  return {
    users: pick(data.users),
    items: pick(data.items),
    ...(data.ratings === undefined ? {} : { ratings: pick(data.ratings) }),
    ...(data.timestamps === undefined ? {} : { timestamps: pick(data.timestamps) }),
    userIds: data.userIds,
    itemIds: data.itemIds,
  };
};

/**
 * The rows of `a` then those of `b` (subsets of one dataset, sharing its id tables) — e.g. the
 * training and validation splits, whose histories predict the test items.
 * @category Data
 */
export const concatInteractions = (a: Interactions, b: Interactions): Interactions => {
  const join = <A extends Int32Array | Float32Array | Float64Array>(x: A, y: A): A => {
    const out = new (x.constructor as new (n: number) => A)(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    users: join(a.users, b.users),
    items: join(a.items, b.items),
    ...(a.ratings === undefined || b.ratings === undefined ? {} : { ratings: join(a.ratings, b.ratings) }),
    ...(a.timestamps === undefined || b.timestamps === undefined
      ? {}
      : { timestamps: join(a.timestamps, b.timestamps) }),
    userIds: a.userIds,
    itemIds: a.itemIds,
  };
};

/**
 * Keeps the interactions whose rating is at least `minRating` (implicit feedback from explicit
 * ratings); data without ratings is returned unchanged.
 * @category Data
 */
export const filterMinRating = (data: Interactions, minRating: number): Interactions => {
  const { ratings } = data;
  if (ratings === undefined) return data;
  const rows: number[] = [];
  for (let r = 0; r < ratings.length; r++) if (ratings[r]! >= minRating) rows.push(r);
  return selectRows(data, Int32Array.from(rows));
};

/** Compares original ids: numerically where both are numbers, else as strings. */
export const compareIds = (a: string, b: string): number => {
  const x = Number(a);
  const y = Number(b);
  if (a !== "" && b !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Each row's (user, item) pair as one number `user · width + item`, sorted: equal neighbours are
 * repeated pairs. Sorting, not a Set of pairs, which stops at 2^24 entries (MovieLens-25M/32M
 * have more distinct pairs than that).
 */
export const sortedPairKeys = (
  users: Int32Array,
  items: Int32Array,
  width: number,
  size = users.length,
): Float64Array => {
  const keys = new Float64Array(size);
  for (let r = 0; r < size; r++) keys[r] = users[r]! * width + items[r]!;
  return keys.sort();
};

/**
 * What a loader does with rows that repeat a (user, item) pair:
 * - `refuse` (the default): fail, naming the first repeated pair and the lines it is on — a
 *   repeated pair can put a held-out item in training as well;
 * - `keep-last`: keep one row per pair, the latest by timestamp (by file order without
 *   timestamps, or between equal times): a re-rating replaces the earlier rating;
 * - `keep-all`: keep every row (repeat consumption, as in listening logs), knowingly.
 * @category Data
 */
export const DuplicatePolicy = t.keyof(
  { refuse: null, "keep-last": null, "keep-all": null },
  '"refuse" | "keep-last" | "keep-all"',
);
/**
 * The decoded form of {@link DuplicatePolicy}.
 * @category Data
 */
export type DuplicatePolicy = t.TypeOf<typeof DuplicatePolicy>;

/**
 * Accumulates interactions with original ids, then freezes them into {@link Interactions} whose
 * dense indices follow the ids' order (numeric where ids are numbers), so user "1" is index 0
 * whatever the file order.
 */
export class InteractionsBuilder {
  private readonly userIndex = new Map<string, number>();
  private readonly itemIndex = new Map<string, number>();
  private users = new Int32Array(1024);
  private items = new Int32Array(1024);
  private lines = new Uint32Array(1024);
  private ratings: Float32Array | undefined;
  private timestamps: Float64Array | undefined;
  private size = 0;

  constructor(withRatings: boolean, withTimestamps: boolean) {
    if (withRatings) this.ratings = new Float32Array(1024);
    if (withTimestamps) this.timestamps = new Float64Array(1024);
  }

  get length(): number {
    return this.size;
  }

  /** Adds a row; `line` is where it was read (for the duplicate policy's error). */
  add(user: string, item: string, rating?: number, timestamp?: number, line = 0): void {
    if (this.size === this.users.length) this.grow();
    this.users[this.size] = indexOf(this.userIndex, user);
    this.items[this.size] = indexOf(this.itemIndex, item);
    this.lines[this.size] = line;
    if (this.ratings !== undefined) this.ratings[this.size] = rating ?? Number.NaN;
    if (this.timestamps !== undefined) this.timestamps[this.size] = timestamp ?? Number.NaN;
    this.size += 1;
  }

  /**
   * The interactions, with repeated (user, item) rows handled by `duplicates`; `file` names the
   * source in the `refuse` error.
   */
  build(duplicates: DuplicatePolicy, file: string): E.Either<KdrecError, Interactions> {
    const kept = duplicates === "keep-all" ? undefined : this.rowsWithoutRepeats(duplicates, file);
    if (kept !== undefined && !(kept instanceof Int32Array)) return E.left(kept);
    const [userIds, userRemap] = canonicalOrder(this.userIndex);
    const [itemIds, itemRemap] = canonicalOrder(this.itemIndex);
    const n = kept === undefined ? this.size : kept.length;
    const row = (r: number) => (kept === undefined ? r : kept[r]!);
    const users = new Int32Array(n);
    const items = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      users[r] = userRemap[this.users[row(r)]!]!;
      items[r] = itemRemap[this.items[row(r)]!]!;
    }
    const column = <A extends Float32Array | Float64Array>(values: A): A => {
      if (kept === undefined) return values.slice(0, this.size) as A;
      const out = new (values.constructor as new (length: number) => A)(n);
      for (let r = 0; r < n; r++) out[r] = values[kept[r]!]!;
      return out;
    };
    return E.right({
      users,
      items,
      ...(this.ratings === undefined ? {} : { ratings: column(this.ratings) }),
      ...(this.timestamps === undefined ? {} : { timestamps: column(this.timestamps) }),
      userIds,
      itemIds,
    });
  }

  /**
   * The rows to keep, in file order (undefined: all of them), or the `refuse` error. Repeats are
   * found by {@link sortedPairKeys}; only repeated pairs then go into a Map.
   */
  private rowsWithoutRepeats(policy: "refuse" | "keep-last", file: string): Int32Array | KdrecError | undefined {
    const n = this.size;
    const width = this.itemIndex.size;
    const key = (r: number) => this.users[r]! * width + this.items[r]!;
    const keys = sortedPairKeys(this.users, this.items, width, n);
    const repeated = new Set<number>();
    for (let r = 1; r < n; r++) if (keys[r] === keys[r - 1]) repeated.add(keys[r]!);
    if (repeated.size === 0) return undefined;

    // One row per repeated pair: the first seen (to report) or the latest (to keep).
    const chosen = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const k = key(r);
      if (!repeated.has(k)) continue;
      const previous = chosen.get(k);
      if (previous === undefined) {
        chosen.set(k, r);
      } else if (policy === "refuse") {
        const user = [...this.userIndex.keys()][this.users[r]!];
        const item = [...this.itemIndex.keys()][this.items[r]!];
        return kdrecError(
          "INVALID_DATA",
          `user ${quoteField(user!)} has item ${quoteField(item!)} on lines ${this.lines[previous]} and ${this.lines[r]} ` +
            `(${repeated.size.toLocaleString("en-US")} repeated ${repeated.size === 1 ? "pair" : "pairs"} in all); choose how to treat them with ` +
            `"duplicates": "keep-last" (or --duplicates keep-last) or "keep-all"`,
          `${file}:${this.lines[r]}`,
        );
      } else if (this.timestamps === undefined || this.timestamps[r]! >= this.timestamps[previous]!) {
        chosen.set(k, r);
      }
    }
    const rows: number[] = [];
    for (let r = 0; r < n; r++) {
      const k = key(r);
      if (!repeated.has(k) || chosen.get(k) === r) rows.push(r);
    }
    return Int32Array.from(rows);
  }

  private grow(): void {
    const capacity = this.users.length * 2;
    const grown = <A extends Int32Array | Uint32Array | Float32Array | Float64Array>(a: A): A => {
      const next = new (a.constructor as new (n: number) => A)(capacity);
      next.set(a);
      return next;
    };
    this.users = grown(this.users);
    this.items = grown(this.items);
    this.lines = grown(this.lines);
    if (this.ratings !== undefined) this.ratings = grown(this.ratings);
    if (this.timestamps !== undefined) this.timestamps = grown(this.timestamps);
  }
}

const indexOf = (index: Map<string, number>, id: string): number => {
  let i = index.get(id);
  if (i === undefined) {
    i = index.size;
    index.set(id, i);
  }
  return i;
};

/** Sorted ids and, for each first-appearance index, its position in that order. */
const canonicalOrder = (index: Map<string, number>): [string[], Int32Array] => {
  const ids = [...index.keys()].sort(compareIds);
  const remap = new Int32Array(ids.length);
  ids.forEach((id, position) => {
    remap[index.get(id)!] = position;
  });
  return [ids, remap];
};
