/**
 * A trained matrix factorization, frozen as a teacher (the "wide MF" teacher, e.g. d = 128).
 * @module
 */
import { frozenModel, type ScoringModel, type Teacher } from "@kdrec/model-kit";

/**
 * Freezes a trained MF (see {@link frozenModel}); later training of `model` does not affect the
 * teacher. Dispose it when the distillation is over.
 * @category Teachers
 */
export const frozenMatrixFactorization = (
  model: ScoringModel & { readonly config: { readonly users: number; readonly items: number; readonly dim: number } },
  name = `mf-${model.config.dim}`,
): Teacher => frozenModel(model, { name, architecture: "mf", users: model.config.users, items: model.config.items });
