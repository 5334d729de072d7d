/**
 * `kdrec data stats` and `kdrec data split`.
 * @module
 */
import { decodeConfig, type KdrecError, kdrecError } from "@kdrec/core";
import {
  type Dataset,
  type DuplicatePolicy,
  datasetStats,
  filterMinRating,
  formatDatasetStats,
  numInteractions,
  SplitProtocol,
  splitBy,
} from "@kdrec/data";
import { loadDataset, writeSplitFiles } from "@kdrec/data/node";
import * as E from "fp-ts/lib/Either.js";
import { type DatasetValues, datasetFromOptions } from "./dataset_args.js";
import type { CommandIo } from "./io.js";
import { fileProgress } from "./progress.js";

const load = async (
  values: DatasetValues,
  io: CommandIo,
  defaultDuplicates: DuplicatePolicy,
): Promise<E.Either<KdrecError, { data: Dataset; path?: string }>> => {
  const parsed = datasetFromOptions(values, defaultDuplicates);
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
  // Stats describe the file as it is, repeated pairs counted.
  const loaded = await load(values, io, "keep-all");
  if (E.isLeft(loaded)) return loaded;
  const stats = datasetStats(loaded.right.data.interactions);
  if (values.json === true) {
    io.out(`${JSON.stringify({ dataset: loaded.right.data.name, ...stats })}\n`);
    return E.right(undefined);
  }
  io.out(formatDatasetStats(loaded.right.data.name, stats));
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
    fraction?: string;
  },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the folder to write the split into", "--out"));
  const protocol = protocolFrom(values);
  if (E.isLeft(protocol)) return protocol;
  const loaded = await load(values, io, "refuse");
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
  fraction?: string;
}): E.Either<KdrecError, SplitProtocol> => {
  const name = values.protocol ?? "leave-last-out";
  if (!["leave-last-out", "temporal", "random", "cold-items"].includes(name))
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        `unknown protocol "${name}" (known: leave-last-out, temporal, random, cold-items)`,
        "--protocol",
      ),
    );
  const seed = Number(values["split-seed"] ?? 42);
  const ratios = { validRatio: Number(values["valid-ratio"] ?? 0.1), testRatio: Number(values["test-ratio"] ?? 0.2) };
  const options =
    name === "random"
      ? { ...ratios, seed }
      : name === "cold-items"
        ? { fraction: Number(values.fraction ?? 0.1), seed }
        : ratios;
  // The protocol's codec checks the ratios and the seed (reported at their names).
  return decodeConfig(SplitProtocol, name === "leave-last-out" ? { name } : { name, ...options }, "--protocol");
};
