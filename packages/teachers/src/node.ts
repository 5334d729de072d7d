/**
 * `@kdrec/teachers/node`: the Node-only half of `@kdrec/teachers` — a teacher's top-K lists from
 * and to files on disk.
 *
 * - {@link readTopKParquetFiles}: one file, or a folder of part files as Spark writes them,
 *   streamed a row group at a time (`readTopKParquet` of `@kdrec/teachers`);
 * - {@link readTopKListsFile}: lists in either form (Parquet, or the text lists), by path;
 * - {@link writeTopKParquet}: targets kdrec computed, in the long layout (`user`, `item`,
 *   `score`, `rank`), a row group per block of users.
 *
 * Kept apart from the main door so that `@kdrec/teachers` bundles for a browser with no `node:`
 * import reachable.
 * @packageDocumentation
 */
export { readTopKListsFile, readTopKParquetFiles, writeTopKParquet } from "./top_k_parquet_files.js";
