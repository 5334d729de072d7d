/**
 * A teacher's per-user top-K lists from Parquet, as a cluster writes them (one file, or the part
 * files of a Spark job), read one row group at a time and never loaded whole: what a team whose
 * teacher is too big for one machine hands kdrec. Two layouts are read:
 *
 * - **long**: a row per (user, item): columns `user`, `item`, `score` (ids as integers or
 *   strings; rows in any order, a user's rows in any files);
 * - **Spark ALS**: what `ALSModel.recommendForAllUsers(k)` writes: a row per user, columns `user`
 *   and `recommendations` (a list of structs `{item, rating}`; `user` / `item` may be named
 *   `<user>Col` / `<item>Col` as the model's columns were).
 *
 * Column names are options. Ids are matched against the dataset's ids (`userIds[u]` is user u's).
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { TeacherTargets } from "@kdrec/model-kit";
import * as E from "fp-ts/lib/Either.js";
import { type AsyncBuffer, type ColumnData, parquetMetadataAsync, parquetRead } from "hyparquet";

/**
 * One Parquet file to read: a name for messages and its bytes (hyparquet's `AsyncBuffer`: a file
 * in Node, a ranged fetch in a browser).
 * @category Teachers
 */
export interface ParquetPart {
  readonly name: string;
  readonly file: AsyncBuffer;
}

/**
 * Column names of {@link readTopKParquet}; defaults `user`, `item`, `score` (long layout) and
 * `recommendations` with struct fields `item`, `rating` (Spark ALS layout).
 * @category Teachers
 */
export interface TopKParquetColumns {
  readonly user?: string;
  readonly item?: string;
  readonly score?: string;
  readonly recommendations?: string;
  readonly rating?: string;
}

/** Dataset index of an id as Parquet gives it (number, bigint or string); -1 when unknown. */
const idIndex = (ids: ReadonlyArray<string>): ((id: unknown) => number) & { readonly table?: Int32Array } => {
  // Numeric ids in canonical form (ML's "1", "1682"): a dense table, no string per lookup.
  let max = -1;
  const numeric = ids.every((id) => {
    const n = Number(id);
    if (!(Number.isInteger(n) && n >= 0 && String(n) === id)) return false;
    max = Math.max(max, n);
    return true;
  });
  if (numeric && max < 16 * ids.length + 1024) {
    const table = new Int32Array(max + 1).fill(-1);
    ids.forEach((id, index) => {
      table[Number(id)] = index;
    });
    const bigMax = BigInt(max);
    return Object.assign(
      (id: unknown) => {
        if (typeof id === "number") return Number.isInteger(id) && id >= 0 && id <= max ? table[id]! : -1;
        if (typeof id === "bigint") return id >= 0n && id <= bigMax ? table[Number(id)]! : -1;
        // A string id: the same table when it is canonical.
        const n = Number(id);
        return String(n) === String(id) && Number.isInteger(n) && n >= 0 && n <= max ? table[n]! : -1;
      },
      { table },
    );
  }
  const byString = new Map(ids.map((id, index) => [id, index]));
  return (id) => byString.get(String(id)) ?? -1;
};

/** The value of row `r` from the chunks of a column (chunks may start before the row group). */
const valueAt = (chunks: ReadonlyArray<ColumnData>, r: number): unknown => {
  for (const chunk of chunks) if (r >= chunk.rowStart && r < chunk.rowEnd) return chunk.columnData[r - chunk.rowStart];
  return undefined;
};

/**
 * Reads per-user top-K lists from Parquet parts, a row group at a time, into targets for the
 * dataset's users and items (each list sorted by score, best first). Every user needs a list and
 * every list the same length K; an unknown id, a user listed twice over or a non-finite score
 * fails naming the file and row. Memory: the targets (users × K × 8 bytes) plus one row group.
 * @example
 * ```ts
 * // In Node, the part files of a Spark job: `readTopKParquetFiles` in `@kdrec/teachers/node`.
 * const targets = await readTopKParquet([{ name: "top.parquet", file }], data.userIds, data.itemIds);
 * ```
 * @category Teachers
 */
export const readTopKParquet = async (
  parts: ReadonlyArray<ParquetPart>,
  userIds: ReadonlyArray<string>,
  itemIds: ReadonlyArray<string>,
  columns: TopKParquetColumns = {},
): Promise<E.Either<KdrecError, TeacherTargets>> => {
  const userOf = idIndex(userIds);
  const itemOf = idIndex(itemIds);
  const users = userIds.length;
  if (parts.length === 0) return E.left(kdrecError("INVALID_DATA", "no Parquet file to read", "readTopKParquet"));
  const metadata = [];
  for (const part of parts) {
    try {
      metadata.push(await parquetMetadataAsync(part.file));
    } catch (error) {
      return E.left(kdrecError("INVALID_DATA", `not a Parquet file (${(error as Error).message})`, part.name));
    }
  }
  const names = metadata[0]!.schema.map((element) => element.name);
  const recommendations = columns.recommendations ?? "recommendations";
  const nested = names.includes(recommendations);
  const userColumn =
    columns.user ?? (names.includes("user") ? "user" : (names.find((n) => /^user/i.test(n)) ?? "user"));
  const itemField = columns.item ?? "item";
  const scoreField = columns.score ?? (nested ? (columns.rating ?? "rating") : "score");
  const wanted = nested ? [userColumn, recommendations] : [userColumn, itemField, scoreField];
  for (const [p, meta] of metadata.entries()) {
    const have = meta.schema.map((element) => element.name);
    const missing = wanted.filter((name) => !have.includes(name));
    if (missing.length > 0)
      return E.left(
        kdrecError(
          "INVALID_DATA",
          `no column ${missing.map((m) => `"${m}"`).join(", ")} (columns: ${have.slice(1).join(", ")}); kdrec reads (user, item, score) rows or Spark ALS's (user, recommendations)`,
          parts[p]!.name,
        ),
      );
  }
  // K: from the row count in the long layout (every user has K rows); from the first list otherwise.
  const totalRows = metadata.reduce((sum, meta) => sum + Number(meta.num_rows), 0);
  let k = nested ? 0 : totalRows / users;
  if (!nested && !(Number.isInteger(k) && k > 0))
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `${totalRows} rows for ${users} users: every user needs the same number of items`,
        parts.map((p) => p.name).join(", "),
      ),
    );
  let items = new Int32Array(nested ? 0 : users * k);
  let scores = new Float32Array(nested ? 0 : users * k);
  const filled = new Int32Array(users);
  let itemKey: string | undefined;

  const add = (user: number, item: number, score: number, where: string): KdrecError | undefined => {
    if (filled[user]! >= k)
      return kdrecError("INVALID_DATA", `user "${userIds[user]}" has more than ${k} items`, where);
    if (!Number.isFinite(score)) return kdrecError("INVALID_DATA", `score ${score} is not a finite number`, where);
    const at = user * k + filled[user]!;
    items[at] = item;
    scores[at] = score;
    filled[user]! += 1;
    return undefined;
  };

  for (const [p, part] of parts.entries()) {
    let start = 0;
    for (const group of metadata[p]!.row_groups) {
      const end = start + Number(group.num_rows);
      const chunks = new Map<string, ColumnData[]>();
      try {
        await parquetRead({
          file: part.file,
          metadata: metadata[p]!,
          columns: nested ? [userColumn, recommendations] : [userColumn, itemField, scoreField],
          rowStart: start,
          rowEnd: end,
          onChunk: (chunk) => {
            chunks.set(chunk.columnName, [...(chunks.get(chunk.columnName) ?? []), chunk]);
          },
        });
      } catch (error) {
        return E.left(kdrecError("INVALID_DATA", `unreadable row group (${(error as Error).message})`, part.name));
      }
      const column = (name: string) => chunks.get(name) ?? [];
      if (!nested) {
        // The long layout, column by column: no object per row (files hold tens of millions).
        for (const userChunk of column(userColumn)) {
          const itemChunk = column(itemField).find((c) => c.rowStart === userChunk.rowStart);
          const scoreChunk = column(scoreField).find((c) => c.rowStart === userChunk.rowStart);
          if (itemChunk === undefined || scoreChunk === undefined)
            return E.left(kdrecError("INVALID_DATA", "the user, item and score columns are not aligned", part.name));
          const from = Math.max(start, userChunk.rowStart);
          const to = Math.min(end, userChunk.rowEnd);
          const [userData, itemData, scoreData] = [userChunk.columnData, itemChunk.columnData, scoreChunk.columnData];
          const [userTable, itemTable] = [userOf.table, itemOf.table];
          // Integer ids against integer datasets (what clusters write): a tight loop over the
          // typed columns, about 4× faster than the general one below.
          let r = from;
          if (
            typeof userData[0] === "number" &&
            typeof itemData[0] === "number" &&
            typeof scoreData[0] === "number" &&
            userTable !== undefined &&
            itemTable !== undefined
          ) {
            // Typed arrays, or plain arrays where a dictionary page was expanded.
            const [userColumnData, itemColumnData, scoreColumnData] = [
              userData as ArrayLike<number>,
              itemData as ArrayLike<number>,
              scoreData as ArrayLike<number>,
            ];
            for (; r < to; r++) {
              const j = r - userChunk.rowStart;
              // A non-integer or out-of-range id reads `undefined`: -1, as an unknown id.
              const user = userTable[userColumnData[j]!] ?? -1;
              const item = itemTable[itemColumnData[j]!] ?? -1;
              const score = scoreColumnData[j]!;
              const slot = filled[user]!;
              if (user < 0 || item < 0 || slot >= k || !Number.isFinite(score)) break; // the general loop says why
              items[user * k + slot] = item;
              scores[user * k + slot] = score;
              filled[user] = slot + 1;
            }
          }
          for (; r < to; r++) {
            const j = r - userChunk.rowStart;
            const rawUser = userChunk.columnData[j];
            const user = userOf(rawUser);
            const where = `${part.name}: row ${r + 1}`;
            if (user < 0)
              return E.left(kdrecError("INVALID_DATA", `user "${String(rawUser)}" is not in the dataset`, where));
            const rawItem = itemChunk.columnData[j];
            const item = itemOf(rawItem);
            if (item < 0)
              return E.left(kdrecError("INVALID_DATA", `item "${String(rawItem)}" is not in the dataset`, where));
            const problem = add(user, item, Number(scoreChunk.columnData[j]), where);
            if (problem !== undefined) return E.left(problem);
          }
        }
        start = end;
        continue;
      }
      for (let r = start; r < end; r++) {
        const where = `${part.name}: row ${r + 1}`;
        const rawUser = valueAt(column(userColumn), r);
        const user = userOf(rawUser);
        if (user < 0)
          return E.left(kdrecError("INVALID_DATA", `user "${String(rawUser)}" is not in the dataset`, where));
        const list = (valueAt(column(recommendations), r) as Array<Record<string, unknown>> | null | undefined) ?? [];
        if (k === 0) {
          k = list.length;
          if (k === 0) return E.left(kdrecError("INVALID_DATA", "an empty recommendation list", where));
          items = new Int32Array(users * k);
          scores = new Float32Array(users * k);
        }
        if (list.length !== k)
          return E.left(
            kdrecError("INVALID_DATA", `every user needs the same number of items: ${list.length}, not ${k}`, where),
          );
        for (const entry of list) {
          // Spark names the struct's item field after the model's itemCol (`movieId`): the field that is not the rating.
          itemKey ??=
            columns.item ?? (itemField in entry ? itemField : Object.keys(entry).find((key) => key !== scoreField));
          const rawItem = itemKey === undefined ? undefined : entry[itemKey];
          const item = itemOf(rawItem);
          if (item < 0)
            return E.left(kdrecError("INVALID_DATA", `item "${String(rawItem)}" is not in the dataset`, where));
          const problem = add(user, item, Number(entry[scoreField]), where);
          if (problem !== undefined) return E.left(problem);
        }
      }
      start = end;
    }
  }
  const missing = filled.findIndex((count) => count !== k);
  if (missing >= 0)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `user "${userIds[missing]}" has ${filled[missing]} items, not ${k} (every user needs a list of the same length)`,
        parts.map((p) => p.name).join(", "),
      ),
    );
  sortLists(items, scores, k);
  return E.right({ k, items, scores });
};

/** Sorts each user's list by score, best first (ties by item index), in place. */
const sortLists = (items: Int32Array, scores: Float32Array, k: number): void => {
  const order = Array.from({ length: k }, (_, j) => j);
  const itemCopy = new Int32Array(k);
  const scoreCopy = new Float32Array(k);
  for (let at = 0; at < items.length; at += k) {
    let sorted = true;
    for (let j = 1; j < k && sorted; j++)
      sorted =
        scores[at + j - 1]! > scores[at + j]! ||
        (scores[at + j - 1] === scores[at + j] && items[at + j - 1]! < items[at + j]!);
    if (sorted) continue;
    for (let j = 0; j < k; j++) order[j] = j;
    order.sort((a, b) => scores[at + b]! - scores[at + a]! || items[at + a]! - items[at + b]!);
    itemCopy.set(items.subarray(at, at + k));
    scoreCopy.set(scores.subarray(at, at + k));
    for (let j = 0; j < k; j++) {
      items[at + j] = itemCopy[order[j]!]!;
      scores[at + j] = scoreCopy[order[j]!]!;
    }
  }
};
