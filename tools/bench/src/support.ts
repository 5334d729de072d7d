// What every benchmark needs: a failure as an exception (a benchmark has nobody to hand an Either
// to), and MovieLens-100K from the shared datasets folder.
import { loadDataset } from "@kdrec/data/node";
import { datasetDir } from "@kdrec/testing/shared-data";
import * as E from "fp-ts/lib/Either.js";

export const orThrow = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

/** MovieLens-100K from `KDREC_DATA_DIR` (default ../shared/datasets beside the checkout). */
export const movieLens100K = async () =>
  orThrow(await loadDataset({ format: "ml-100k", path: datasetDir("ml-100k") })());
