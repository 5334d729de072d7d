/**
 * Summary statistics of a set of interactions (what `kdrec data stats` prints).
 * @module
 */
import { type Interactions, numInteractions, numItems, numUsers, sortedPairKeys } from "./interactions.js";

/**
 * Counts and distributions of a set of interactions.
 * @category Data
 */
export interface DatasetStats {
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  /** interactions / (users × items). */
  readonly density: number;
  /** The smallest and largest rating, when there are ratings. */
  readonly ratingRange?: readonly [number, number];
  readonly perUser: { readonly min: number; readonly median: number; readonly max: number };
  /** Interactions that repeat an earlier (user, item) pair. */
  readonly duplicates: number;
  /** The first and last timestamp, when there are timestamps. */
  readonly timeRange?: readonly [number, number];
}

const extent = (values: ArrayLike<number>): readonly [number, number] => {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
};

/**
 * Computes {@link DatasetStats}. Users and items count the id tables (everyone with at least one
 * interaction in the loaded data).
 * @category Data
 */
export const datasetStats = (data: Interactions): DatasetStats => {
  const n = numInteractions(data);
  const counts = new Int32Array(numUsers(data));
  for (let r = 0; r < n; r++) counts[data.users[r]!]! += 1;
  const sorted = Int32Array.from(counts).sort();
  const mid = sorted.length >> 1;
  const median =
    sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;

  const items = numItems(data);
  const keys = sortedPairKeys(data.users, data.items, items);
  let duplicates = 0;
  for (let r = 1; r < n; r++) if (keys[r] === keys[r - 1]) duplicates += 1;
  return {
    users: numUsers(data),
    items,
    interactions: n,
    density: n / Math.max(1, numUsers(data) * items),
    ...(data.ratings === undefined || n === 0 ? {} : { ratingRange: extent(data.ratings) }),
    perUser: { min: sorted[0] ?? 0, median, max: sorted[sorted.length - 1] ?? 0 },
    duplicates,
    ...(data.timestamps === undefined || n === 0 ? {} : { timeRange: extent(data.timestamps) }),
  };
};

const int = (n: number) => n.toLocaleString("en-US");

/** Seconds as an ISO date, or the number itself where no date has it (a timestamp of -5e30). */
const isoTime = (seconds: number): string => {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} s (not a date)` : date.toISOString();
};

/**
 * The stats as aligned `name  value` lines (what `kdrec data stats` prints).
 * @example
 * ```ts
 * console.log(formatDatasetStats("synthetic", datasetStats(interactions)));
 * ```
 * @category Data
 */
export const formatDatasetStats = (name: string, stats: DatasetStats): string => {
  const rows: Array<[string, string]> = [
    ["dataset", name],
    ["users", int(stats.users)],
    ["items", int(stats.items)],
    ["interactions", int(stats.interactions)],
    ["density", `${(stats.density * 100).toFixed(4)}%`],
    ["rating range", stats.ratingRange ? `${stats.ratingRange[0]} .. ${stats.ratingRange[1]}` : "(no ratings)"],
    [
      "interactions per user",
      `min ${int(stats.perUser.min)}, median ${stats.perUser.median}, max ${int(stats.perUser.max)}`,
    ],
    ["duplicate (user, item) pairs", int(stats.duplicates)],
    [
      "time range",
      stats.timeRange ? `${isoTime(stats.timeRange[0])} .. ${isoTime(stats.timeRange[1])}` : "(no timestamps)",
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")}\n`;
};
