/**
 * A trained matrix factorization, frozen as a teacher (the "wide MF" teacher, e.g. d = 128).
 * @module
 */
import { frozenModel, type ScoringModel, type Teacher } from "@kdrec/model-kit";

/**
 * Freezes a trained MF (see {@link frozenModel}), its factor rows exposed as representations; later training of `model` does not affect the
 * teacher. Dispose it when the distillation is over.
 * @category Teachers
 */
export const frozenMatrixFactorization = (
  model: ScoringModel & {
    readonly config: { readonly users: number; readonly items: number; readonly dim: number };
    readonly userFactors: Float32Array;
    readonly itemFactors: Float32Array;
    readonly itemBiases?: Float32Array | undefined;
  },
  name = `mf-${model.config.dim}`,
): Teacher =>
  frozenModel(model, {
    name,
    architecture: "mf",
    users: model.config.users,
    items: model.config.items,
    representations: { width: model.config.dim, users: model.userFactors, items: model.itemFactors },
    factorTables: {
      dim: model.config.dim,
      userFactors: model.userFactors,
      itemFactors: model.itemFactors,
      itemBiases: model.itemBiases,
    },
  });
