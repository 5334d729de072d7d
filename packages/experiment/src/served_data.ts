/**
 * What every model bundle of a run carries about its data: original ids, popularity, titles,
 * each user's time-ordered history and the data's fingerprint. Computed once per run.
 * @module
 */
import { type Interactions, type ItemSideInfo, itemPopularity, numItems, numUsers, userTimelines } from "@kdrec/data";
import type { BundleContents } from "@kdrec/serving";

/**
 * The data half of a model bundle.
 * @category Files
 */
export type ServedData = Pick<BundleContents, "data" | "items" | "users" | "histories">;

/** Two FNV-1a lanes over 32-bit words: a fast fingerprint of large typed arrays (not cryptographic). */
const hashWords = (arrays: ReadonlyArray<Int32Array | Float64Array | Float32Array>): string => {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (const array of arrays) {
    const words = new Int32Array(array.buffer, array.byteOffset, array.byteLength / 4);
    for (let j = 0; j < words.length; j++) {
      a = Math.imul(a ^ words[j]!, 0x01000193);
      b = Math.imul(b ^ words[j]!, 0x5bd1e995) ^ (b >>> 13);
    }
    a = Math.imul(a ^ words.length, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
};

/**
 * The served data of `interactions` (the data a run trains on, after its filters), named `name`,
 * with titles from `side` where the dataset has them.
 * @example
 * ```ts
 * const served = servedData("synthetic", syntheticDataset({ seed: 1 }).interactions);
 * served.items.ids.length === served.data.items; // true
 * ```
 * @category Files
 */
export const servedData = (name: string, interactions: Interactions, side?: ItemSideInfo): ServedData => {
  const users = numUsers(interactions);
  const items = numItems(interactions);
  const timelines = userTimelines(interactions);
  const { offsets, times, ratings } = timelines;
  const encoder = new TextEncoder();
  return {
    data: {
      name,
      fingerprint: hashWords([
        interactions.users,
        interactions.items,
        ...(interactions.timestamps === undefined ? [] : [interactions.timestamps]),
        Int32Array.from(encoder.encode(`${interactions.userIds.join("\n")}\u0000${interactions.itemIds.join("\n")}`)),
      ]),
      users,
      items,
      interactions: interactions.users.length,
    },
    items: {
      ids: interactions.itemIds,
      popularity: Float32Array.from(itemPopularity(interactions.items, items)),
      ...(side?.titles === undefined || side.titles.length !== items ? {} : { titles: side.titles }),
    },
    users: { ids: interactions.userIds },
    histories: Array.from({ length: users }, (_, u) => ({
      items: timelines.items.subarray(offsets[u]!, offsets[u + 1]!),
      ...(times === undefined ? {} : { times: times.subarray(offsets[u]!, offsets[u + 1]!) }),
      ...(ratings === undefined ? {} : { ratings: ratings.subarray(offsets[u]!, offsets[u + 1]!) }),
    })),
  };
};
