/**
 * MovieLens loaders (GroupLens): 100K (`u.data`, `u.item`, `u.user`), 1M and 10M (`::`-separated
 * `ratings.dat`, `movies.dat`, `users.dat`) and "latest" (`ratings.csv`, `movies.csv` with header).
 * Node-only.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type { LoadProgress } from "./dataset_spec.js";
import {
  type FieldSource,
  isError,
  parseNumber,
  parseNumericId,
  parseRating,
  splitColumns,
  splitCsv,
} from "./fields.js";
import {
  type Dataset,
  type DuplicatePolicy,
  type Interactions,
  InteractionsBuilder,
  type ItemSideInfo,
  type UserSideInfo,
} from "./interactions.js";
import { type ReadLinesOptions, readLines } from "./read_lines.js";

/** The 19 genres of `u.genre`, in its order (used when the file is absent). */
const ML100K_GENRES = [
  "unknown",
  "Action",
  "Adventure",
  "Animation",
  "Children's",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Film-Noir",
  "Horror",
  "Musical",
  "Mystery",
  "Romance",
  "Sci-Fi",
  "Thriller",
  "War",
  "Western",
];

const requireFiles = (dir: string, required: ReadonlyArray<string>, format: string): E.Either<KdrecError, void> => {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return E.left(
      kdrecError("IO", `not a directory (the ${format} format reads a folder holding ${required.join(", ")})`, dir),
    );
  }
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  return missing.length === 0
    ? E.right(undefined)
    : E.left(kdrecError("IO", `missing ${missing.join(", ")}: not a ${format} folder`, dir));
};

const progressOf = (file: string, onProgress?: LoadProgress): ReadLinesOptions =>
  onProgress === undefined ? {} : { onProgress: (read, total) => onProgress(file, read, total) };

/** Reads `user item rating timestamp` rows split by `split` into a builder. */
const readRatings = async (
  file: string,
  split: (text: string, source: FieldSource) => string[] | KdrecError,
  ratingRange: readonly [number, number],
  onProgress: LoadProgress | undefined,
  duplicates: DuplicatePolicy,
  skipHeader?: string,
): Promise<E.Either<KdrecError, Interactions>> => {
  // ML-100K and ML-1M rate in whole stars, ML-10M and ML-latest in half stars.
  const step = ratingRange[0] === 1 ? 1 : 0.5;
  const builder = new InteractionsBuilder(true, true);
  const read = await readLines(
    file,
    (text, line) => {
      const source = { file, line };
      if (skipHeader !== undefined && builder.length === 0 && line === 1) {
        return text.trim() === skipHeader
          ? undefined
          : kdrecError("INVALID_DATA", `expected the header "${skipHeader}", found "${text}"`, `${file}:1`);
      }
      const fields = split(text, source);
      if (isError(fields)) return fields;
      const user = parseNumericId(fields[0]!, "user id", source);
      if (isError(user)) return user;
      const item = parseNumericId(fields[1]!, "item id", source);
      if (isError(item)) return item;
      const rating = parseRating(fields[2]!, ratingRange, source, step);
      if (isError(rating)) return rating;
      const timestamp = parseNumber(fields[3]!, "timestamp", source);
      if (isError(timestamp)) return timestamp;
      builder.add(user, item, rating, timestamp, line);
      return undefined;
    },
    progressOf(file, onProgress),
  );
  if (E.isLeft(read)) return read;
  if (builder.length === 0) return E.left(kdrecError("INVALID_DATA", "no interactions after the header", file));
  return builder.build(duplicates, file);
};

/** Side information rows keyed by original item id. */
interface ItemRow {
  readonly title: string;
  readonly categories: ReadonlyArray<number>;
}

const itemSideInfo = (
  itemIds: ReadonlyArray<string>,
  rows: Map<string, ItemRow>,
  categoryNames: string[],
): ItemSideInfo => {
  const titles = itemIds.map((id) => rows.get(id)?.title ?? "");
  const offsets = new Int32Array(itemIds.length + 1);
  const index: number[] = [];
  itemIds.forEach((id, i) => {
    index.push(...(rows.get(id)?.categories ?? []));
    offsets[i + 1] = index.length;
  });
  return { titles, categoryNames, categoryOffsets: offsets, categoryIndex: Int32Array.from(index) };
};

/**
 * The users' columns by name, aligned with `userIds`. The key column (`id`) is not one of them:
 * it is the user's identity, and as a "feature" it grouped users by id decade.
 */
const userSideInfo = (
  userIds: ReadonlyArray<string>,
  names: ReadonlyArray<string>,
  rows: Map<string, string[]>,
  quantities: ReadonlyArray<string>,
): UserSideInfo => ({
  columns: Object.fromEntries(
    names.flatMap((name, c) => (name === "id" ? [] : [[name, userIds.map((id) => rows.get(id)?.[c] ?? "")]])),
  ),
  quantities,
});

/** Reads a side file of `expected` columns, keyed by its first (numeric id) column. */
const readSideRows = async (
  file: string,
  split: (text: string, source: FieldSource) => string[] | KdrecError,
  encoding: "utf8" | "latin1",
  onProgress?: LoadProgress,
  header?: string,
): Promise<E.Either<KdrecError, Map<string, string[]>>> => {
  const rows = new Map<string, string[]>();
  const read = await readLines(
    file,
    (text, line) => {
      if (header !== undefined && line === 1) {
        return text.trim() === header
          ? undefined
          : kdrecError("INVALID_DATA", `expected the header "${header}", found "${text}"`, `${file}:1`);
      }
      const source = { file, line };
      const fields = split(text, source);
      if (isError(fields)) return fields;
      const id = parseNumericId(fields[0]!, "id", source);
      if (isError(id)) return id;
      rows.set(id, fields);
      return undefined;
    },
    { encoding, ...progressOf(file, onProgress) },
  );
  return E.isLeft(read) ? read : E.right(rows);
};

/**
 * Loads MovieLens 100K from its folder: `u.data` (required), `u.item` titles and genre flags and
 * `u.user` demographics (when present). Ratings are integers in [1, 5].
 * Rows repeating a (user, item) pair follow `duplicates` ({@link DuplicatePolicy}; default `refuse`).
 * @category Loaders
 */
export const loadMovieLens100K = async (
  dir: string,
  onProgress?: LoadProgress,
  duplicates: DuplicatePolicy = "refuse",
): Promise<E.Either<KdrecError, Dataset>> => {
  const ok = requireFiles(dir, ["u.data"], "ml-100k");
  if (E.isLeft(ok)) return ok;
  const ratingRange = [1, 5] as const;
  const tab = (text: string, source: FieldSource) => splitColumns(text, "\t", 4, source);
  const interactions = await readRatings(join(dir, "u.data"), tab, ratingRange, onProgress, duplicates);
  if (E.isLeft(interactions)) return interactions;
  const data = interactions.right;

  let genres = ML100K_GENRES;
  const genreFile = join(dir, "u.genre");
  if (existsSync(genreFile)) {
    const names: string[] = [];
    const read = await readLines(genreFile, (text, line) => {
      const fields = splitColumns(text, "|", 2, { file: genreFile, line });
      if (isError(fields)) return fields;
      names.push(fields[0]!);
      return undefined;
    });
    if (E.isLeft(read)) return read;
    genres = names;
  }

  let items: ItemSideInfo | undefined;
  const itemFile = join(dir, "u.item");
  if (existsSync(itemFile)) {
    const pipe = (text: string, source: FieldSource) => splitColumns(text, "|", 5 + genres.length, source);
    const rows = await readSideRows(itemFile, pipe, "latin1", onProgress);
    if (E.isLeft(rows)) return rows;
    const parsed = new Map<string, ItemRow>();
    for (const [id, fields] of rows.right) {
      const categories = fields.slice(5).flatMap((flag, g) => (flag === "1" ? [g] : []));
      parsed.set(id, { title: fields[1]!, categories });
    }
    items = itemSideInfo(data.itemIds, parsed, genres);
  }

  let users: UserSideInfo | undefined;
  const userFile = join(dir, "u.user");
  if (existsSync(userFile)) {
    const rows = await readSideRows(userFile, (text, source) => splitColumns(text, "|", 5, source), "utf8", onProgress);
    if (E.isLeft(rows)) return rows;
    users = userSideInfo(data.userIds, ["id", "age", "gender", "occupation", "zip"], rows.right, ["age"]);
  }
  return E.right({
    name: "ml-100k",
    interactions: data,
    ratingRange,
    ...(items ? { items } : {}),
    ...(users ? { users } : {}),
  });
};

/**
 * Loads MovieLens 1M or 10M from its folder: `ratings.dat` (required, `user::item::rating::timestamp`),
 * `movies.dat` titles and `|`-separated genres, and `users.dat` demographics (1M only).
 * 1M ratings are integers in [1, 5]; 10M ratings are halves in [0.5, 5].
 * Rows repeating a (user, item) pair follow `duplicates` ({@link DuplicatePolicy}; default `refuse`).
 * @category Loaders
 */
export const loadMovieLensDat = async (
  dir: string,
  variant: "ml-1m" | "ml-10m",
  onProgress?: LoadProgress,
  duplicates: DuplicatePolicy = "refuse",
): Promise<E.Either<KdrecError, Dataset>> => {
  const ok = requireFiles(dir, ["ratings.dat"], variant);
  if (E.isLeft(ok)) return ok;
  const ratingRange = variant === "ml-1m" ? ([1, 5] as const) : ([0.5, 5] as const);
  const colons = (n: number) => (text: string, source: FieldSource) => splitColumns(text, "::", n, source);
  const interactions = await readRatings(join(dir, "ratings.dat"), colons(4), ratingRange, onProgress, duplicates);
  if (E.isLeft(interactions)) return interactions;
  const data = interactions.right;

  let items: ItemSideInfo | undefined;
  const movieFile = join(dir, "movies.dat");
  if (existsSync(movieFile)) {
    // 1M's movies.dat is latin-1; 10M's is UTF-8.
    const rows = await readSideRows(movieFile, colons(3), variant === "ml-1m" ? "latin1" : "utf8", onProgress);
    if (E.isLeft(rows)) return rows;
    items = genreSideInfo(data.itemIds, rows.right);
  }

  let users: UserSideInfo | undefined;
  const userFile = join(dir, "users.dat");
  if (existsSync(userFile)) {
    const rows = await readSideRows(userFile, colons(5), "utf8", onProgress);
    if (E.isLeft(rows)) return rows;
    // 1M's ages are group codes (1, 18, 25, …) and its occupations codes 0–20: categories.
    users = userSideInfo(data.userIds, ["id", "gender", "age", "occupation", "zip"], rows.right, []);
  }
  return E.right({
    name: variant,
    interactions: data,
    ratingRange,
    ...(items ? { items } : {}),
    ...(users ? { users } : {}),
  });
};

/** Items from `id, title, genres` rows whose genres are `|`-separated names. */
const genreSideInfo = (itemIds: ReadonlyArray<string>, rows: Map<string, string[]>): ItemSideInfo => {
  const names = new Map<string, number>();
  const parsed = new Map<string, ItemRow>();
  for (const [id, fields] of rows) {
    const categories = (fields[2] ?? "")
      .split("|")
      .filter((g) => g !== "" && g !== "(no genres listed)")
      .map((g) => names.get(g) ?? names.set(g, names.size).get(g)!);
    parsed.set(id, { title: fields[1]!, categories });
  }
  return itemSideInfo(itemIds, parsed, [...names.keys()]);
};

/**
 * Loads a "latest" MovieLens folder (ml-latest, ml-latest-small, ml-20m, ml-25m, ml-32m):
 * `ratings.csv` (required, header `userId,movieId,rating,timestamp`) and `movies.csv`
 * (`movieId,title,genres`, CSV quoting). Ratings are halves in [0.5, 5].
 * Rows repeating a (user, item) pair follow `duplicates` ({@link DuplicatePolicy}; default `refuse`).
 * @category Loaders
 */
export const loadMovieLensLatest = async (
  dir: string,
  onProgress?: LoadProgress,
  duplicates: DuplicatePolicy = "refuse",
): Promise<E.Either<KdrecError, Dataset>> => {
  const ok = requireFiles(dir, ["ratings.csv"], "ml-latest");
  if (E.isLeft(ok)) return ok;
  const ratingRange = [0.5, 5] as const;
  const comma4 = (text: string, source: FieldSource) => splitColumns(text, ",", 4, source);
  const interactions = await readRatings(
    join(dir, "ratings.csv"),
    comma4,
    ratingRange,
    onProgress,
    duplicates,
    "userId,movieId,rating,timestamp",
  );
  if (E.isLeft(interactions)) return interactions;

  let items: ItemSideInfo | undefined;
  const movieFile = join(dir, "movies.csv");
  if (existsSync(movieFile)) {
    const csv3 = (text: string, source: FieldSource) => {
      const fields = splitCsv(text, ",", source);
      return isError(fields) || fields.length === 3
        ? fields
        : kdrecError(
            "INVALID_DATA",
            `expected 3 comma-separated columns, found ${fields.length}`,
            `${source.file}:${source.line}`,
          );
    };
    const rows = await readSideRows(movieFile, csv3, "utf8", onProgress, "movieId,title,genres");
    if (E.isLeft(rows)) return rows;
    items = genreSideInfo(interactions.right.itemIds, rows.right);
  }
  return E.right({ name: "ml-latest", interactions: interactions.right, ratingRange, ...(items ? { items } : {}) });
};
