/**
 * Writes a split as `train.tsv`, `valid.tsv`, `test.tsv` (header `user<TAB>item<TAB>timestamp`,
 * original ids) and `meta.json`. The files appear together or not at all: they are written into
 * a temporary folder beside the target and renamed into place. Node-only.
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import { type Interactions, numItems, numUsers } from "./interactions.js";
import type { Split } from "./splits.js";

/** Names of the files {@link writeSplitFiles} writes. @category Splits */
export const SPLIT_FILES = ["train.tsv", "valid.tsv", "test.tsv", "meta.json"] as const;

const toTsv = (data: Interactions): string => {
  const lines = ["user\titem\ttimestamp"];
  for (let r = 0; r < data.users.length; r++) {
    const ts = data.timestamps?.[r];
    lines.push(`${data.userIds[data.users[r]!]}\t${data.itemIds[data.items[r]!]}\t${ts === undefined ? "" : ts}`);
  }
  return `${lines.join("\n")}\n`;
};

const counts = (data: Interactions) => ({
  interactions: data.users.length,
  users: new Set(data.users).size,
});

/**
 * Writes `split` into `dir` (created if needed; existing split files there are replaced).
 * @category Splits
 */
export const writeSplitFiles = async (
  split: Split,
  dir: string,
  source: { readonly dataset: string; readonly path?: string },
): Promise<E.Either<KdrecError, ReadonlyArray<string>>> => {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).some((f) => !(SPLIT_FILES as ReadonlyArray<string>).includes(f))) {
    return E.left(kdrecError("IO", "the output folder holds other files; choose an empty or new folder", dir));
  }
  const staging = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  const meta = {
    dataset: source.dataset,
    ...(source.path === undefined ? {} : { path: source.path }),
    protocol: split.protocol,
    seed: "seed" in split.protocol ? split.protocol.seed : null,
    users: numUsers(split.train),
    items: numItems(split.train),
    train: counts(split.train),
    valid: counts(split.valid),
    test: counts(split.test),
    created: new Date().toISOString(),
  };
  try {
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, "train.tsv"), toTsv(split.train));
    await writeFile(join(staging, "valid.tsv"), toTsv(split.valid));
    await writeFile(join(staging, "test.tsv"), toTsv(split.test));
    await writeFile(join(staging, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    return E.left(kdrecError("IO", `cannot write the split: ${(error as Error).message}`, dir));
  }
  return E.right(SPLIT_FILES.map((f) => join(dir, f)));
};
