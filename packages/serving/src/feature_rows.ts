/**
 * Vectors composed from a model's own rows and its feature rows, as feature-aware models score:
 * row `e` plus Σ_f means[e, f] · features[f] (a mean over the entity's features).
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";

/**
 * `own` `[rows, d]` plus `means` `[rows, F]` · `features` `[F, d]`; `own` itself when neither is
 * given. Fails, naming `what`, when only one is given or their sizes disagree.
 * @example
 * ```ts
 * withFeatureRows(Float32Array.of(1, 0), Float32Array.of(2), Float32Array.of(0.5, 1), 2, 1, "item");
 * // Right([2, 2])
 * ```
 */
export const withFeatureRows = (
  own: Float32Array,
  features: Float32Array | undefined,
  means: Float32Array | undefined,
  rows: number,
  d: number,
  what: string,
): E.Either<KdrecError, Float32Array> => {
  if (features === undefined && means === undefined) return E.right(own);
  const count = features === undefined ? 0 : features.length / d;
  if (features === undefined || means === undefined || !Number.isInteger(count) || means.length !== rows * count)
    return E.left(
      kdrecError("INVALID_DATA", `feature rows [F, ${d}] and feature means [${rows}, F] must come together`, what),
    );
  const out = own.slice();
  for (let e = 0; e < rows; e++)
    for (let f = 0; f < count; f++) {
      const share = means[e * count + f]!;
      if (share !== 0) for (let k = 0; k < d; k++) out[e * d + k]! += share * features[f * d + k]!;
    }
  return E.right(out);
};
