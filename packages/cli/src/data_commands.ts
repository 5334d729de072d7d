/**
 * `kdrec data stats` and `kdrec data split`.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import {
  type Dataset,
  datasetStats,
  filterMinRating,
  loadDataset,
  numInteractions,
  type SplitProtocol,
  splitBy,
  writeSplitFiles,
} from "@kdrec/data";
import * as E from "fp-ts/lib/Either.js";
import { type DatasetValues, datasetFromOptions } from "./dataset_args.js";
import type { CommandIo } from "./io.js";
import { fileProgress } from "./progress.js";

const load = async (
  values: DatasetValues,
  io: CommandIo,
): Promise<E.Either<KdrecError, { data: Dataset; path?: string }>> => {
  const parsed = datasetFromOptions(values);
  if (E.isLeft(parsed)) return parsed;
  const progress = fileProgress(io, "reading");
  const started = Date.now();
  const loaded = await loadDataset(parsed.right.spec, progress.update)();
  progress.done();
  if (E.isLeft(loaded)) return loaded;
  const { minRating } = parsed.right;
  const data =
    minRating === undefined
      ? loaded.right
      : { ...loaded.right, interactions: filterMinRating(loaded.right.interactions, minRating) };
  io.err(
    `loaded ${data.name}: ${numInteractions(data.interactions).toLocaleString("en-US")} interactions in ${((Date.now() - started) / 1000).toFixed(2)} s\n`,
  );
  return E.right({ data, ...("path" in parsed.right.spec ? { path: parsed.right.spec.path } : {}) });
};

const int = (n: number) => n.toLocaleString("en-US");

/** `kdrec data stats`: prints the dataset's counts and distributions (or JSON with --json). */
export const dataStats = async (
  values: DatasetValues & { json?: boolean },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  const loaded = await load(values, io);
  if (E.isLeft(loaded)) return loaded;
  const stats = datasetStats(loaded.right.data.interactions);
  if (values.json === true) {
    io.out(`${JSON.stringify({ dataset: loaded.right.data.name, ...stats })}\n`);
    return E.right(undefined);
  }
  const rows: Array<[string, string]> = [
    ["dataset", loaded.right.data.name],
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
      stats.timeRange
        ? `${new Date(stats.timeRange[0] * 1000).toISOString()} .. ${new Date(stats.timeRange[1] * 1000).toISOString()}`
        : "(no timestamps)",
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  io.out(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")}\n`);
  return E.right(undefined);
};

/** `kdrec data split`: splits by a protocol and writes train/valid/test TSVs and meta.json. */
export const dataSplit = async (
  values: DatasetValues & {
    protocol?: string;
    out?: string;
    "valid-ratio"?: string;
    "test-ratio"?: string;
    "split-seed"?: string;
  },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the folder to write the split into", "--out"));
  const protocol = protocolFrom(values);
  if (E.isLeft(protocol)) return protocol;
  const loaded = await load(values, io);
  if (E.isLeft(loaded)) return loaded;
  const split = splitBy(loaded.right.data.interactions, protocol.right);
  if (E.isLeft(split)) return split;
  const written = await writeSplitFiles(split.right, values.out, {
    dataset: loaded.right.data.name,
    ...(loaded.right.path === undefined ? {} : { path: loaded.right.path }),
  });
  if (E.isLeft(written)) return written;
  const { train, valid, test } = split.right;
  io.out(
    `${protocol.right.name} split: train ${int(train.users.length)}, valid ${int(valid.users.length)}, test ${int(test.users.length)} interactions\n` +
      `wrote ${written.right.join(", ")}\n`,
  );
  return E.right(undefined);
};

const protocolFrom = (values: {
  protocol?: string;
  "split-seed"?: string;
  "valid-ratio"?: string;
  "test-ratio"?: string;
}): E.Either<KdrecError, SplitProtocol> => {
  const name = values.protocol ?? "leave-last-out";
  const ratio = (value: string | undefined, fallback: number, option: string): E.Either<KdrecError, number> => {
    if (value === undefined) return E.right(fallback);
    const n = Number(value);
    return value.trim() !== "" && Number.isFinite(n) && n >= 0 && n < 1
      ? E.right(n)
      : E.left(kdrecError("INVALID_ARGUMENT", `expected a ratio in [0, 1), got "${value}"`, `--${option}`));
  };
  if (name === "leave-last-out") return E.right({ name });
  const valid = ratio(values["valid-ratio"], 0.1, "valid-ratio");
  const test = ratio(values["test-ratio"], 0.2, "test-ratio");
  if (E.isLeft(valid)) return valid;
  if (E.isLeft(test)) return test;
  if (name === "temporal") return E.right({ name, validRatio: valid.right, testRatio: test.right });
  if (name === "random") {
    const seed = Number(values["split-seed"] ?? "42");
    if (!Number.isInteger(seed) || seed < 0) {
      return E.left(
        kdrecError(
          "INVALID_ARGUMENT",
          `expected a non-negative integer, got "${values["split-seed"]}"`,
          "--split-seed",
        ),
      );
    }
    return E.right({ name, validRatio: valid.right, testRatio: test.right, seed });
  }
  return E.left(
    kdrecError(
      "INVALID_ARGUMENT",
      `unknown protocol "${name}" (known: leave-last-out, temporal, random)`,
      "--protocol",
    ),
  );
};
