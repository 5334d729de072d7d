/**
 * The dataset options every data verb shares, turned into a `DatasetSpec`:
 * `--format F --path P` (+ `--delimiter`, `--no-header`, `--columns`, `--rating-range` for
 * generic files; `--seed`, `--users`, `--items` for the synthetic generator) and `--min-rating`.
 * @module
 */
import { decodeConfig, type KdrecError, kdrecError } from "@kdrec/core";
import { DATASET_FORMATS, DatasetSpec, DuplicatePolicy, parseDatasetFormat } from "@kdrec/data";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";

/** parseArgs option declarations of the dataset options. */
export const DATASET_OPTIONS = {
  format: { type: "string" },
  path: { type: "string" },
  delimiter: { type: "string" },
  "no-header": { type: "boolean" },
  columns: { type: "string" },
  "rating-range": { type: "string" },
  "min-rating": { type: "string" },
  duplicates: { type: "string" },
  seed: { type: "string" },
  users: { type: "string" },
  items: { type: "string" },
} as const;

export const DATASET_HELP = `dataset options:
  --format F            ml-100k | ml-1m | ml-10m | ml-latest | amazon-reviews | delimited | jsonl | synthetic
  --path P              the dataset's folder (MovieLens; Amazon reviews) or file (.gz read as gzip)
  --columns MAP         delimited/jsonl: user=COL,item=COL[,rating=COL][,timestamp=COL]
                        (names with a header, 0-based indices with --no-header)
  --delimiter D         delimited: field delimiter (default ","; "\\t" for tab)
  --no-header           delimited: the first line is data
  --rating-range LO,HI  delimited/jsonl: refuse ratings outside [LO, HI]
  --min-rating R        keep only interactions rated R or more
  --duplicates P        rows repeating a (user, item) pair: refuse (default; data stats: keep-all),
                        keep-last (the latest by time) or keep-all
  --seed N --users N --items N   synthetic: generator options (defaults 42, 600, 1000)`;

export type DatasetValues = {
  readonly [K in keyof typeof DATASET_OPTIONS]?: (typeof DATASET_OPTIONS)[K]["type"] extends "boolean"
    ? boolean
    : string;
};

const usage = (message: string, option: string): KdrecError => kdrecError("INVALID_ARGUMENT", message, `--${option}`);

const numberOption = (value: string | undefined, option: string): E.Either<KdrecError, number | undefined> => {
  if (value === undefined) return E.right(undefined);
  const n = Number(value);
  return value.trim() !== "" && Number.isFinite(n)
    ? E.right(n)
    : E.left(usage(`expected a number, got "${value}"`, option));
};

/** `--columns user=COL,item=COL[,rating=COL][,timestamp=COL]` as a column mapping (indices when the file has no header). */
export const columnsOption = (
  value: string | undefined,
  indices: boolean,
): E.Either<KdrecError, Record<string, string | number>> => {
  if (value === undefined)
    return E.left(
      usage("delimited and jsonl files need a column mapping, e.g. --columns user=userId,item=itemId", "columns"),
    );
  const mapping: Record<string, string | number> = {};
  for (const part of value.split(",")) {
    const [key, column] = part.split("=");
    if (!key || column === undefined || !["user", "item", "rating", "timestamp"].includes(key)) {
      return E.left(usage(`expected user=COL,item=COL[,rating=COL][,timestamp=COL], got "${part}"`, "columns"));
    }
    mapping[key] = indices && /^\d+$/.test(column) ? Number(column) : column;
  }
  return E.right(mapping);
};

/**
 * `--duplicates` checked against the policies (undefined when absent); refused with a synthetic
 * dataset, which has no repeated rows to treat.
 */
export const duplicatesOption = (
  value: string | undefined,
  format: string,
): E.Either<KdrecError, DuplicatePolicy | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (format === "synthetic")
    return E.left(usage("applies to dataset files; the synthetic generator repeats no pair", "duplicates"));
  return DuplicatePolicy.is(value)
    ? E.right(value)
    : E.left(usage(`expected refuse, keep-last or keep-all, got "${value}"`, "duplicates"));
};

/**
 * The dataset spec the options describe, and the minimum rating to keep; `defaultDuplicates` is
 * the policy when `--duplicates` is absent.
 */
export const datasetFromOptions = (
  values: DatasetValues,
  defaultDuplicates: DuplicatePolicy = "refuse",
): E.Either<KdrecError, { spec: DatasetSpec; minRating?: number }> => {
  if (values.format === undefined) return E.left(usage(`is required (${DATASET_FORMATS.join(", ")})`, "format"));
  const format = parseDatasetFormat(values.format);
  if (E.isLeft(format)) return E.left(usage(format.left.message, "format"));
  const minRating = numberOption(values["min-rating"], "min-rating");
  if (E.isLeft(minRating)) return minRating;
  const withMin = (spec: DatasetSpec) => ({
    spec,
    ...(minRating.right === undefined ? {} : { minRating: minRating.right }),
  });

  if (format.right === "synthetic") {
    const options: Record<string, number> = {};
    for (const key of ["seed", "users", "items"] as const) {
      const n = numberOption(values[key], key);
      if (E.isLeft(n)) return n;
      if (n.right !== undefined) options[key] = n.right;
    }
    return pipe(decodeConfig(DatasetSpec, { format: "synthetic", options }, "synthetic options"), E.map(withMin));
  }
  if (values.path === undefined) return E.left(usage(`is required for --format ${format.right}`, "path"));
  const duplicates = duplicatesOption(values.duplicates, format.right);
  if (E.isLeft(duplicates)) return duplicates;
  const policy = { duplicates: duplicates.right ?? defaultDuplicates };
  if (format.right === "delimited" || format.right === "jsonl") {
    const columns = columnsOption(values.columns, values["no-header"] === true);
    if (E.isLeft(columns)) return columns;
    let ratingRange: [number, number] | undefined;
    if (values["rating-range"] !== undefined) {
      const bounds = values["rating-range"].split(",").map(Number);
      if (bounds.length !== 2 || !bounds.every(Number.isFinite) || bounds[0]! > bounds[1]!) {
        return E.left(usage(`expected LO,HI, got "${values["rating-range"]}"`, "rating-range"));
      }
      ratingRange = [bounds[0]!, bounds[1]!];
    }
    const spec = {
      format: format.right,
      path: values.path,
      columns: columns.right,
      ...(values.delimiter === undefined ? {} : { delimiter: values.delimiter === "\\t" ? "\t" : values.delimiter }),
      ...(values["no-header"] === true ? { header: false } : {}),
      ...(ratingRange === undefined ? {} : { ratingRange }),
      ...policy,
    };
    return pipe(decodeConfig(DatasetSpec, spec, "dataset options"), E.map(withMin));
  }
  return E.right(withMin({ format: format.right, path: values.path, ...policy }));
};
