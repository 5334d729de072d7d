/**
 * Which dataset to load, as an io-ts codec that configs and the command line share: the format
 * names, the generic loaders' column mapping and options, and {@link DatasetSpec}. Pure (no file
 * access), so it decodes in a browser as well; the loaders are in `@kdrec/data/node`.
 * @module
 */
import { integerInRange, type KdrecError, kdrecError, strictType, type TaggedMember, taggedUnion } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { DuplicatePolicy } from "./interactions.js";
import { SyntheticOptions } from "./synthetic.js";

/**
 * Progress of a load: the file being read and how far.
 * @category Loaders
 */
export type LoadProgress = (file: string, bytesRead: number, totalBytes: number) => void;

const ColumnRef = t.union([t.string, integerInRange(0)], "a column name or a 0-based column index");

/**
 * Which of the file's columns (names with a header or for JSON lines, 0-based indices without a
 * header) hold the user, the item and, optionally, the rating and the timestamp.
 * @category Loaders
 */
export const ColumnMapping = strictType(
  { user: ColumnRef, item: ColumnRef },
  { rating: ColumnRef, timestamp: ColumnRef },
  "ColumnMapping",
);
/**
 * The decoded form of {@link ColumnMapping}.
 * @category Loaders
 */
export type ColumnMapping = t.TypeOf<typeof ColumnMapping>;

/**
 * The keys of the generic loaders' options: the column mapping, and the delimiter, header and
 * rating range.
 * @category Loaders
 */
export const GENERIC_OPTIONS = {
  required: { columns: ColumnMapping },
  optional: {
    /** Field delimiter of a delimited file; default `,`. Quoted fields follow RFC 4180. */
    delimiter: t.string,
    /** Whether the first line names the columns; default true. */
    header: t.boolean,
    /** The declared rating scale: ratings outside it are errors. */
    ratingRange: t.tuple([t.number, t.number]),
    /** Rows repeating a (user, item) pair: {@link DuplicatePolicy}; default `refuse`. */
    duplicates: DuplicatePolicy,
  },
} as const;
/**
 * Options of the generic loaders, as a strict codec.
 * @category Loaders
 */
export const GenericOptions = strictType(GENERIC_OPTIONS.required, GENERIC_OPTIONS.optional, "GenericOptions");
/**
 * The decoded form of {@link GenericOptions}.
 * @category Loaders
 */
export type GenericOptions = t.TypeOf<typeof GenericOptions>;

/**
 * The format names kdrec reads.
 * @category Loaders
 */
export const DATASET_FORMATS = [
  "ml-100k",
  "ml-1m",
  "ml-10m",
  "ml-latest",
  "amazon-reviews",
  "delimited",
  "jsonl",
  "synthetic",
] as const;
/**
 * One of {@link DATASET_FORMATS}.
 * @category Loaders
 */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/**
 * Which dataset to load: a MovieLens folder, an Amazon review file (`.json.gz` or its folder), a
 * generic file (`.gz` files are decompressed) with its column mapping, or the
 * synthetic generator with its options.
 * @category Loaders
 */
export type DatasetSpec =
  | {
      readonly format: "ml-100k" | "ml-1m" | "ml-10m" | "ml-latest" | "amazon-reviews";
      readonly path: string;
      /** Rows repeating a (user, item) pair: {@link DuplicatePolicy}; default `refuse`. */
      readonly duplicates?: DuplicatePolicy;
    }
  | ({ readonly format: "delimited" | "jsonl"; readonly path: string } & GenericOptions)
  | { readonly format: "synthetic"; readonly options?: SyntheticOptions };

const folderFormat = { required: { path: t.string }, optional: { duplicates: DuplicatePolicy } };
const fileFormat = {
  required: { path: t.string, ...GENERIC_OPTIONS.required },
  optional: GENERIC_OPTIONS.optional,
};
/**
 * The codec of a {@link DatasetSpec}: `format` picks the members (the valid formats are listed
 * when it is wrong); unknown keys are refused.
 * @category Loaders
 */
export const DatasetSpec: t.Type<DatasetSpec, DatasetSpec, unknown> = taggedUnion<DatasetSpec>(
  "format",
  () =>
    new Map<string, TaggedMember>([
      ...(["ml-100k", "ml-1m", "ml-10m", "ml-latest", "amazon-reviews"] as const).map(
        (format) => [format, folderFormat] as const,
      ),
      ["delimited", fileFormat],
      ["jsonl", fileFormat],
      ["synthetic", { required: {}, optional: { options: SyntheticOptions } }],
    ]),
  "DatasetSpec",
);

/**
 * Checks a format name, with the list of known names in the error.
 * @category Loaders
 */
export const parseDatasetFormat = (name: string): E.Either<KdrecError, DatasetFormat> =>
  (DATASET_FORMATS as ReadonlyArray<string>).includes(name)
    ? E.right(name as DatasetFormat)
    : E.left(
        kdrecError("INVALID_ARGUMENT", `unknown format "${name}" (known: ${DATASET_FORMATS.join(", ")})`, "format"),
      );
