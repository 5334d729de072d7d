/**
 * Settings that may change from one distillation round to the next (α, a soft-label temperature):
 * a number, `{ "from": a, "to": b }` (linear across the rounds) or one value per round. They
 * become the {@link Schedule}s of `@kdrec/losses`, which the loss terms read at each batch.
 * @module
 */
import { type KdrecError, kdrecError, strictType } from "@kdrec/core";
import { describeSchedule, type Schedule } from "@kdrec/losses";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * A setting across rounds: one value, a linear ramp, or a value per round.
 * @category Strategies
 */
export type RoundValue = number | { readonly from: number; readonly to: number } | ReadonlyArray<number>;

/**
 * The codec of a {@link RoundValue} whose values `value` decodes.
 * @example
 * ```ts
 * decodeConfig(roundValue(unitInterval, "alpha"), { from: 0.8, to: 0.2 }); // Right
 * ```
 * @category Strategies
 */
export const roundValue = (value: t.Type<number, number, unknown>, name: string): t.Type<RoundValue, RoundValue> =>
  t.union(
    [value, strictType({ from: value, to: value }, {}, `${name} ramp`), t.array(value, `${name} per round`)],
    `${name} (a number, {"from", "to"} across the rounds, or one value per round)`,
  ) as unknown as t.Type<RoundValue, RoundValue>;

/**
 * The schedule of `value` over `rounds` rounds: a ramp reaches `to` at the last round.
 * @category Strategies
 */
export const roundSchedule = (value: RoundValue, rounds: number): number | Schedule => {
  if (typeof value === "number") return value;
  if (isRamp(value)) return { kind: "linear", from: value.from, to: value.to, over: rounds - 1, unit: "round" };
  return { kind: "per-round", values: value };
};

const isRamp = (value: RoundValue): value is { readonly from: number; readonly to: number } =>
  typeof value === "object" && !Array.isArray(value);

/**
 * Fails when a per-round list does not hold one value per round.
 * @category Strategies
 */
export const checkRoundValue = (
  value: RoundValue | undefined,
  rounds: number,
  path: string,
): E.Either<KdrecError, void> =>
  Array.isArray(value) && value.length !== rounds
    ? E.left(kdrecError("INVALID_CONFIG", `${value.length} value(s) for ${rounds} round(s)`, path))
    : E.right(undefined);

/**
 * A round value in a few characters: `0.5`, `0.8→0.2`, `[0.8,0.5]`.
 * @category Strategies
 */
export const describeRoundValue = (value: RoundValue): string => describeSchedule(roundSchedule(value, 2));
