/**
 * `kdrec update`: a shipped MF model bundle absorbs new events without retraining (`@kdrec/online`'s
 * `updateBundle`), optionally distilling online from a teacher bundle, and is written as a new
 * bundle that `kdrec recommend` / `kdrec serve` load as any other.
 * @module
 */
import { existsSync } from "node:fs";
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { DatasetSpec } from "@kdrec/data";
import { loadDataset } from "@kdrec/data/node";
import { writeBundle } from "@kdrec/experiment";
import { bundleEvents, updateBundle } from "@kdrec/online";
import { bundleSource, readBundle } from "@kdrec/serving";
import * as E from "fp-ts/lib/Either.js";
import { columnsOption } from "./dataset_args.js";
import type { CommandIo } from "./io.js";
import { positiveIntegerOption } from "./options.js";

/**
 * `kdrec update --model DIR --events FILE [--columns user=…,item=…,timestamp=…] [--teacher DIR]
 * --out DIR2 [--epochs 5] [--replay 1] [--overwrite]`.
 */
export const updateCommand = async (
  values: {
    model?: string[];
    events?: string;
    columns?: string;
    teacher?: string;
    out?: string;
    epochs?: string;
    replay?: string;
    overwrite?: boolean;
  },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  const model = values.model?.length === 1 ? values.model[0]! : undefined;
  if (model === undefined)
    return E.left(
      kdrecError("INVALID_ARGUMENT", "is required once: an MF model folder written by kdrec run", "--model"),
    );
  if (values.events === undefined)
    return E.left(
      kdrecError("INVALID_ARGUMENT", "is required: a delimited or JSON-lines file of new interactions", "--events"),
    );
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the updated bundle's folder", "--out"));
  if (existsSync(values.out) && values.overwrite !== true)
    return E.left(kdrecError("INVALID_ARGUMENT", "exists; pass --overwrite to replace it", values.out));
  const epochs = positiveIntegerOption(values.epochs, 5, "--epochs");
  if (E.isLeft(epochs)) return epochs;
  const replay = values.replay === undefined ? 1 : Number(values.replay);
  if (!(Number.isFinite(replay) && replay >= 0))
    return E.left(kdrecError("INVALID_ARGUMENT", `expected a number ≥ 0, got "${values.replay}"`, "--replay"));
  const columns = columnsOption(values.columns ?? "user=user,item=item", false);
  if (E.isLeft(columns)) return columns;
  const jsonl = /\.jsonl?(\.gz)?$/.test(values.events);
  // The events load as a dataset of their own (the loaders' checks and file:line errors); a
  // repeated pair is kept, as a stream repeats.
  const spec = {
    format: jsonl ? "jsonl" : "delimited",
    path: values.events,
    columns: columns.right,
    duplicates: "keep-all",
  };
  const loaded = await loadDataset(spec as DatasetSpec)();
  if (E.isLeft(loaded)) return loaded;
  const events = bundleEvents(loaded.right.interactions);
  const bundle = await readBundle(bundleSource(model));
  if (E.isLeft(bundle)) return bundle;
  const teacher = values.teacher === undefined ? undefined : await readBundle(bundleSource(values.teacher));
  if (teacher !== undefined && E.isLeft(teacher)) return teacher;
  const updated = updateBundle(bundle.right, events, {
    epochs: epochs.right,
    replay,
    seed: bundle.right.model.seed,
    ...(teacher === undefined ? {} : { teacher: (teacher as E.Right<typeof bundle.right>).right }),
  });
  if (E.isLeft(updated)) return updated;
  await writeBundle(values.out, updated.right.student);
  const { report } = updated.right;
  io.err(
    `kdrec: updated ${model} with ${report.events} events (${report.newUsers} new users, ${report.newItems} new items; ${report.trained} interactions trained${teacher === undefined ? "" : ", the teacher refreshed and distilled from"}) into ${values.out}\n`,
  );
  return E.right(undefined);
};
