/**
 * Top-K lists on disk: Parquet (one file or a Spark output folder) read and written, and either
 * form of lists read by its path.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { TeacherTargets } from "@kdrec/model-kit";
import * as E from "fp-ts/lib/Either.js";
import { asyncBufferFromFile } from "hyparquet";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import { parseTopKLists } from "./top_k_lists.js";
import { type ParquetPart, readTopKParquet, type TopKParquetColumns } from "./top_k_parquet.js";

/** The Parquet files at `path`: the file itself, or a folder's `*.parquet` files by name (Spark's `_SUCCESS` and `.crc` files left out). */
const partFiles = (path: string): E.Either<KdrecError, string[]> => {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    return E.left(kdrecError("IO", "no such file or folder (the teacher's top-K Parquet)", path));
  }
  if (!isFolder) return E.right([path]);
  const files = readdirSync(path)
    .filter((name) => name.endsWith(".parquet") && !name.startsWith(".") && !name.startsWith("_"))
    .sort()
    .map((name) => join(path, name));
  return files.length === 0 ? E.left(kdrecError("IO", "the folder holds no .parquet file", path)) : E.right(files);
};

/**
 * Reads a teacher's top-K lists from a Parquet file or a folder of part files (what
 * `df.write.parquet(path)` leaves), a row group at a time; see {@link readTopKParquet} for the
 * layouts and checks.
 * @example
 * ```ts
 * const targets = await readTopKParquetFiles("teacher-top50/", data.userIds, data.itemIds);
 * if (E.isRight(targets)) console.log(targets.right.k); // 50
 * ```
 * @category Teachers
 */
export const readTopKParquetFiles = async (
  path: string,
  userIds: ReadonlyArray<string>,
  itemIds: ReadonlyArray<string>,
  columns?: TopKParquetColumns,
): Promise<E.Either<KdrecError, TeacherTargets>> => {
  const files = partFiles(path);
  if (E.isLeft(files)) return files;
  const parts: ParquetPart[] = [];
  for (const file of files.right) parts.push({ name: basename(file), file: await asyncBufferFromFile(file) });
  return readTopKParquet(parts, userIds, itemIds, columns);
};

/** Whether every id is a canonical non-negative integer below 2^31 (written as INT32, not strings). */
const integerIds = (ids: ReadonlyArray<string>): boolean =>
  ids.every((id) => {
    const n = Number(id);
    return Number.isInteger(n) && n >= 0 && n < 2 ** 31 && String(n) === id;
  });

/**
 * Reads a teacher's top-K lists from disk in either form kdrec takes: Parquet (a `.parquet` file,
 * or a folder of part files, streamed a row group at a time: {@link readTopKParquetFiles}), else
 * the text lists of `parseTopKLists`. A missing path fails with an `IO` error naming it.
 * @example
 * ```ts
 * const targets = await readTopKListsFile("teacher-top50.txt", data.userIds, data.itemIds);
 * ```
 * @category Teachers
 */
export const readTopKListsFile = async (
  path: string,
  userIds: ReadonlyArray<string>,
  itemIds: ReadonlyArray<string>,
): Promise<E.Either<KdrecError, TeacherTargets>> => {
  if (!existsSync(path)) return E.left(kdrecError("IO", "no such file (the external teacher's top-K lists)", path));
  return path.endsWith(".parquet") || statSync(path).isDirectory()
    ? readTopKParquetFiles(path, userIds, itemIds)
    : parseTopKLists(readFileSync(path, "utf8"), userIds, itemIds, path);
};

/**
 * Writes targets as Parquet in the long layout — columns `user`, `item` (the dataset's ids: INT32
 * where every id is an integer, else strings), `score` (FLOAT) and `rank` (INT32, 0 = best) — a
 * row group per `usersPerGroup` users (default 20,000), so that neither writing nor reading it
 * back holds more than one group. {@link readTopKParquetFiles} reads it back.
 * @example
 * ```ts
 * writeTopKParquet("runs/top50.parquet", targets, data.userIds, data.itemIds);
 * ```
 * @category Teachers
 */
export const writeTopKParquet = (
  path: string,
  targets: TeacherTargets,
  userIds: ReadonlyArray<string>,
  itemIds: ReadonlyArray<string>,
  usersPerGroup = 20_000,
): void => {
  const { k } = targets;
  const numericUsers = integerIds(userIds);
  const numericItems = integerIds(itemIds);
  const idType = (numeric: boolean) =>
    numeric ? { type: "INT32" as const } : { type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const };
  const schema = [
    { name: "root", num_children: 4 },
    { name: "user", repetition_type: "REQUIRED" as const, ...idType(numericUsers) },
    { name: "item", repetition_type: "REQUIRED" as const, ...idType(numericItems) },
    { name: "score", type: "FLOAT" as const, repetition_type: "REQUIRED" as const },
    { name: "rank", type: "INT32" as const, repetition_type: "REQUIRED" as const },
  ];
  const writer = new ParquetWriter({ writer: fileWriter(path), schema, statistics: false, createdBy: "kdrec" });
  const users = targets.items.length / k;
  for (let first = 0; first < users; first += usersPerGroup) {
    const count = Math.min(usersPerGroup, users - first);
    const n = count * k;
    const user = numericUsers ? new Int32Array(n) : new Array<string>(n);
    const item = numericItems ? new Int32Array(n) : new Array<string>(n);
    const rank = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const u = first + Math.floor(r / k);
      const i = targets.items[first * k + r]!;
      user[r] = numericUsers ? Number(userIds[u]) : userIds[u]!;
      item[r] = numericItems ? Number(itemIds[i]) : itemIds[i]!;
      rank[r] = r % k;
    }
    writer.write({
      columnData: [
        { name: "user", data: user },
        { name: "item", data: item },
        { name: "score", data: targets.scores.subarray(first * k, first * k + n) },
        { name: "rank", data: rank },
      ],
      rowGroupSize: n,
    });
  }
  writer.finish();
};
