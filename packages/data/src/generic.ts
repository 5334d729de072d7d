/**
 * The generic interaction-file loader: a delimited file (with or without header) or JSON lines,
 * with a mapping from kdrec's columns (user, item, rating?, timestamp?) to the file's. Node-only.
 * @module
 */
import { basename } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type { ColumnMapping, GenericOptions, LoadProgress } from "./dataset_spec.js";
import { isError, parseNumber, parseRating, splitCsv } from "./fields.js";
import { type Dataset, type Interactions, InteractionsBuilder } from "./interactions.js";
import { readLines } from "./read_lines.js";

type Field = "user" | "item" | "rating" | "timestamp";
const FIELDS: ReadonlyArray<Field> = ["user", "item", "rating", "timestamp"];

/**
 * Loads a delimited interaction file.
 * @example
 * ```ts
 * await loadDelimited("clicks.csv", { columns: { user: "visitor", item: "sku", timestamp: "ts" } });
 * ```
 * @category Loaders
 */
export const loadDelimited = async (
  path: string,
  options: GenericOptions,
  onProgress?: LoadProgress,
): Promise<E.Either<KdrecError, Dataset>> => {
  const delimiter = options.delimiter ?? ",";
  const header = options.header ?? true;
  const { columns } = options;
  const builder = new InteractionsBuilder(columns.rating !== undefined, columns.timestamp !== undefined);
  let positions: Partial<Record<Field, number>> | undefined = header ? undefined : resolveIndices(columns);
  let width = 0;

  const read = await readLines(
    path,
    (text, line) => {
      const source = { file: path, line };
      const fields = splitCsv(text, delimiter, source);
      if (isError(fields)) return fields;
      if (positions === undefined) {
        const resolved = resolveNames(columns, fields, `${path}:${line}`);
        if (isError(resolved)) return resolved;
        positions = resolved;
        width = fields.length;
        return undefined;
      }
      if (width === 0) width = fields.length;
      if (fields.length !== width)
        return kdrecError("INVALID_DATA", `expected ${width} columns, found ${fields.length}`, `${path}:${line}`);
      const maxIndex = Math.max(...Object.values(positions));
      if (fields.length <= maxIndex)
        return kdrecError(
          "INVALID_DATA",
          `the column mapping needs ${maxIndex + 1} columns, found ${fields.length}`,
          `${path}:${line}`,
        );
      return addRow(builder, (f) => fields[positions![f]!], options, source);
    },
    onProgress === undefined ? {} : { onProgress: (r, n) => onProgress(path, r, n) },
  );
  if (E.isLeft(read)) return read;
  if (builder.length === 0) return E.left(kdrecError("INVALID_DATA", "no interactions after the header", path));
  return dataset(path, builder, options);
};

/**
 * Loads a JSON-lines interaction file: one object per line, fields named by the column mapping.
 * Ids may be strings or numbers; ratings and timestamps must be numbers (or numeric strings).
 * @category Loaders
 */
export const loadJsonLines = async (
  path: string,
  options: GenericOptions,
  onProgress?: LoadProgress,
): Promise<E.Either<KdrecError, Dataset>> => {
  const { columns } = options;
  const builder = new InteractionsBuilder(columns.rating !== undefined, columns.timestamp !== undefined);
  const read = await readLines(
    path,
    (text, line) => {
      const source = { file: path, line };
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (error) {
        return kdrecError("INVALID_DATA", `not valid JSON: ${(error as Error).message}`, `${path}:${line}`);
      }
      if (typeof record !== "object" || record === null || Array.isArray(record)) {
        return kdrecError("INVALID_DATA", "expected a JSON object per line", `${path}:${line}`);
      }
      const value = (f: Field): string | undefined => {
        const v = (record as Record<string, unknown>)[String(columns[f])];
        return v === undefined || v === null ? undefined : typeof v === "object" ? JSON.stringify(v) : String(v);
      };
      return addRow(builder, value, options, source);
    },
    onProgress === undefined ? {} : { onProgress: (r, n) => onProgress(path, r, n) },
  );
  if (E.isLeft(read)) return read;
  return dataset(path, builder, options);
};

const dataset = (path: string, builder: InteractionsBuilder, options: GenericOptions): E.Either<KdrecError, Dataset> =>
  E.map(
    (interactions: Interactions): Dataset => ({
      name: basename(path),
      interactions,
      ...(options.ratingRange === undefined ? {} : { ratingRange: options.ratingRange }),
    }),
  )(builder.build(options.duplicates ?? "refuse", path));

const resolveIndices = (columns: ColumnMapping): Partial<Record<Field, number>> | undefined => {
  const out: Partial<Record<Field, number>> = {};
  for (const f of FIELDS) {
    const ref = columns[f];
    if (ref === undefined) continue;
    if (typeof ref !== "number") return undefined; // names need the header
    out[f] = ref;
  }
  return out;
};

const resolveNames = (
  columns: ColumnMapping,
  header: string[],
  at: string,
): Partial<Record<Field, number>> | KdrecError => {
  const out: Partial<Record<Field, number>> = {};
  for (const f of FIELDS) {
    const ref = columns[f];
    if (ref === undefined) continue;
    const index = typeof ref === "number" ? ref : header.indexOf(ref);
    if (index < 0 || index >= header.length) {
      return kdrecError(
        "INVALID_DATA",
        `the header has no column ${JSON.stringify(ref)} for the ${f} (columns: ${header.join(", ")})`,
        at,
      );
    }
    out[f] = index;
  }
  return out;
};

const addRow = (
  builder: InteractionsBuilder,
  value: (f: Field) => string | undefined,
  options: GenericOptions,
  source: { file: string; line: number },
): KdrecError | undefined => {
  const user = value("user")?.trim();
  const item = value("item")?.trim();
  if (!user) return kdrecError("INVALID_DATA", "the user id is missing", `${source.file}:${source.line}`);
  if (!item) return kdrecError("INVALID_DATA", "the item id is missing", `${source.file}:${source.line}`);
  let rating: number | undefined;
  if (options.columns.rating !== undefined) {
    const parsed = parseRating(value("rating") ?? "", options.ratingRange, source);
    if (isError(parsed)) return parsed;
    rating = parsed;
  }
  let timestamp: number | undefined;
  if (options.columns.timestamp !== undefined) {
    const parsed = parseNumber(value("timestamp") ?? "", "timestamp", source);
    if (isError(parsed)) return parsed;
    timestamp = parsed;
  }
  builder.add(user, item, rating, timestamp, source.line);
  return undefined;
};
