/**
 * `kdrec targets export`: a trained model's top-K per user written as Parquet, the layout an
 * external teacher is read from — so a teacher kdrec trains can be handed on like one a cluster
 * trained (and its targets inspected with any Parquet tool).
 * @module
 */
import { existsSync } from "node:fs";
import { type KdrecError, kdrecError } from "@kdrec/core";
import { loadAnyRecommender } from "@kdrec/experiment";
import { allUsersTopK } from "@kdrec/serving";
import { writeTopKParquet } from "@kdrec/teachers/node";
import * as E from "fp-ts/lib/Either.js";
import type { CommandIo } from "./io.js";
import { positiveIntegerOption } from "./options.js";

/** `kdrec targets export --model DIR --out FILE.parquet [--k 50] [--overwrite]`. */
export const targetsExport = async (
  values: { model?: string[]; out?: string; k?: string; overwrite?: boolean },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  const model = values.model?.length === 1 ? values.model[0]! : undefined;
  if (model === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required once: a model folder written by kdrec run", "--model"));
  if (values.out === undefined || !values.out.endsWith(".parquet"))
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the Parquet file to write (FILE.parquet)", "--out"));
  if (existsSync(values.out) && values.overwrite !== true)
    return E.left(kdrecError("INVALID_ARGUMENT", "exists; pass --overwrite to replace it", values.out));
  const k = positiveIntegerOption(values.k, 50, "--k");
  if (E.isLeft(k)) return k;
  const recommender = await loadAnyRecommender(model);
  if (E.isLeft(recommender)) return recommender;
  // The recommender leaves out the items in each user's history (all their known interactions).
  const targets = allUsersTopK(recommender.right, k.right);
  recommender.right.dispose();
  if (E.isLeft(targets))
    return E.left(targets.left.location === "k" ? { ...targets.left, location: "--k" } : targets.left);
  const { userIds, catalogue } = recommender.right;
  writeTopKParquet(values.out, targets.right, userIds, catalogue.ids);
  io.err(`kdrec: wrote ${values.out}: ${userIds.length} users × top ${k.right} (user, item, score, rank)\n`);
  return E.right(undefined);
};
