/**
 * Weights by name: what a model saves and loads (the TF.js weights-manifest order).
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";

/**
 * One float32 weight: its name (a path in the model's parameter record), shape and values.
 * @category Contracts
 */
export interface NamedWeight {
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly values: Float32Array;
}

/**
 * Checks that `given` holds exactly the weights `expected` names, in order, with the same
 * shapes; returns their values in that order (what a model's `restore` takes).
 * @example
 * ```ts
 * matchWeights([{ name: "w", shape: [2], values: new Float32Array(2) }], [{ name: "w", shape: [2] }], "model.json");
 * ```
 * @category Contracts
 */
export const matchWeights = (
  given: ReadonlyArray<NamedWeight>,
  expected: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }>,
  location: string,
): E.Either<KdrecError, Float32Array[]> => {
  if (given.length !== expected.length)
    return E.left(kdrecError("INVALID_DATA", `${given.length} weights, the model has ${expected.length}`, location));
  const values: Float32Array[] = [];
  for (const [k, want] of expected.entries()) {
    const got = given[k]!;
    const size = want.shape.reduce((n, d) => n * d, 1);
    if (got.name !== want.name || got.shape.join("x") !== want.shape.join("x") || got.values.length !== size)
      return E.left(
        kdrecError(
          "INVALID_DATA",
          `weight ${k} is ${got.name} [${got.shape.join(", ")}], the model expects ${want.name} [${want.shape.join(", ")}]`,
          location,
        ),
      );
    values.push(got.values);
  }
  return E.right(values);
};
