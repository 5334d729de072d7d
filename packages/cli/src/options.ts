/**
 * Option values every command parses the same way.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";

/** A positive integer option (`--seeds 3`, `--k 10`), `fallback` when absent. */
export const positiveIntegerOption = (
  text: string | undefined,
  fallback: number,
  option: string,
): E.Either<KdrecError, number> => {
  const value = text === undefined ? fallback : Number(text);
  return Number.isInteger(value) && value > 0 && value <= 2 ** 31
    ? E.right(value)
    : E.left(kdrecError("INVALID_ARGUMENT", `expected a positive integer, got "${text}"`, option));
};
