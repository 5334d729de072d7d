/**
 * Interactions held column by column in typed arrays, with dense 0-based user and item indices
 * and the original-id tables beside them.
 * @module
 */

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
 * Accumulates interactions with original ids, then freezes them into {@link Interactions} whose
 * dense indices follow the ids' order (numeric where ids are numbers), so user "1" is index 0
 * whatever the file order.
 */
export class InteractionsBuilder {
  private readonly userIndex = new Map<string, number>();
  private readonly itemIndex = new Map<string, number>();
  private users = new Int32Array(1024);
  private items = new Int32Array(1024);
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

  add(user: string, item: string, rating?: number, timestamp?: number): void {
    if (this.size === this.users.length) this.grow();
    this.users[this.size] = indexOf(this.userIndex, user);
    this.items[this.size] = indexOf(this.itemIndex, item);
    if (this.ratings !== undefined) this.ratings[this.size] = rating ?? Number.NaN;
    if (this.timestamps !== undefined) this.timestamps[this.size] = timestamp ?? Number.NaN;
    this.size += 1;
  }

  build(): Interactions {
    const [userIds, userRemap] = canonicalOrder(this.userIndex);
    const [itemIds, itemRemap] = canonicalOrder(this.itemIndex);
    const users = new Int32Array(this.size);
    const items = new Int32Array(this.size);
    for (let r = 0; r < this.size; r++) {
      users[r] = userRemap[this.users[r]!]!;
      items[r] = itemRemap[this.items[r]!]!;
    }
    return {
      users,
      items,
      ...(this.ratings === undefined ? {} : { ratings: this.ratings.slice(0, this.size) }),
      ...(this.timestamps === undefined ? {} : { timestamps: this.timestamps.slice(0, this.size) }),
      userIds,
      itemIds,
    };
  }

  private grow(): void {
    const capacity = this.users.length * 2;
    const grown = <A extends Int32Array | Float32Array | Float64Array>(a: A): A => {
      const next = new (a.constructor as new (n: number) => A)(capacity);
      next.set(a);
      return next;
    };
    this.users = grown(this.users);
    this.items = grown(this.items);
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
