/**
 * Per-user item lists in compressed sparse rows: the sets that full ranking excludes and negative
 * samplers avoid, and the time-ordered histories that sequence models read.
 * @module
 */
import { type Interactions, numItems, numUsers } from "./interactions.js";
import { rowsByUserInTime } from "./splits.js";

/**
 * Items of user `u`: `items[offsets[u] .. offsets[u + 1])`.
 * @category Data
 */
export interface UserItems {
  readonly numItems: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
}

/** Rows up to this long are sorted by insertion. */
const SHORT_ROW = 32;

/**
 * Each user's distinct items, sorted by index (for membership tests by binary search).
 * @category Data
 */
export const userItemSets = (data: Interactions): UserItems => {
  const users = numUsers(data);
  const counts = new Int32Array(users + 1);
  for (let r = 0; r < data.users.length; r++) counts[data.users[r]! + 1]! += 1;
  for (let u = 0; u < users; u++) counts[u + 1]! += counts[u]!;
  const fill = counts.slice(0, users);
  const raw = new Int32Array(data.users.length);
  for (let r = 0; r < data.users.length; r++) raw[fill[data.users[r]!]!++] = data.items[r]!;
  // Sort and drop duplicates in place, user by user.
  const offsets = new Int32Array(users + 1);
  let write = 0;
  for (let u = 0; u < users; u++) {
    const [from, to] = [counts[u]!, counts[u + 1]!];
    // Short rows (most users') by insertion in place: a typed array's sort costs more per call.
    if (to - from > SHORT_ROW) raw.subarray(from, to).sort();
    else
      for (let k = from + 1; k < to; k++) {
        const item = raw[k]!;
        let j = k - 1;
        for (; j >= from && raw[j]! > item; j--) raw[j + 1] = raw[j]!;
        raw[j + 1] = item;
      }
    offsets[u] = write;
    for (let k = from; k < to; k++) if (k === from || raw[k] !== raw[k - 1]) raw[write++] = raw[k]!;
  }
  offsets[users] = write;
  return { numItems: numItems(data), offsets, items: raw.slice(0, write) };
};

/**
 * Each user's items in time order (duplicates kept): the histories of sequence models.
 * @category Data
 */
export const userSequences = (data: Interactions): UserItems => {
  const perUser = rowsByUserInTime(data);
  const offsets = new Int32Array(perUser.length + 1);
  const items = new Int32Array(data.users.length);
  let write = 0;
  perUser.forEach((rows, u) => {
    offsets[u] = write;
    for (const r of rows) items[write++] = data.items[r]!;
  });
  offsets[perUser.length] = write;
  return { numItems: numItems(data), offsets, items };
};

/**
 * Per-user histories with their times: {@link userSequences} plus `times` (parallel to `items`)
 * when the data has timestamps — what models that cut histories into sessions read.
 * @category Data
 */
export interface UserTimelines extends UserItems {
  readonly times?: Float64Array;
  /** The ratings in the same order, where the data has them. */
  readonly ratings?: Float32Array;
}

/**
 * Each user's items in time order with their timestamps and ratings (each where the data has it).
 * @category Data
 */
export const userTimelines = (data: Interactions): UserTimelines => {
  const sequences = userSequences(data);
  const { timestamps, ratings } = data;
  if (timestamps === undefined && ratings === undefined) return sequences;
  const positions = sequencePositions(data);
  const inOrder = <A extends Float64Array | Float32Array>(column: A): A => {
    const out = new (column.constructor as new (n: number) => A)(data.users.length);
    for (let r = 0; r < data.users.length; r++) out[sequences.offsets[data.users[r]!]! + positions[r]!] = column[r]!;
    return out;
  };
  return {
    ...sequences,
    ...(timestamps === undefined ? {} : { times: inOrder(timestamps) }),
    ...(ratings === undefined ? {} : { ratings: inOrder(ratings) }),
  };
};

/**
 * Where each interaction (row) sits in its user's time-ordered history: row `r` is item
 * `sequences.items[offsets[users[r]] + positions[r]]` of {@link userSequences}.
 * @category Data
 */
export const sequencePositions = (data: Interactions): Int32Array => {
  const positions = new Int32Array(data.users.length);
  for (const rows of rowsByUserInTime(data)) for (let k = 0; k < rows.length; k++) positions[rows[k]!] = k;
  return positions;
};

/** The items of `user` (a view, not a copy). @category Data */
export const itemsOf = (sets: UserItems, user: number): Int32Array =>
  sets.items.subarray(sets.offsets[user]!, sets.offsets[user + 1]!);

/** Whether `user` has `item` in a sorted {@link userItemSets} list. @category Data */
export const hasItem = (sets: UserItems, user: number, item: number): boolean => {
  let lo = sets.offsets[user]!;
  let hi = sets.offsets[user + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sets.items[mid]!;
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
};
