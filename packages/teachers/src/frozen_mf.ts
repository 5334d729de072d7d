/**
 * A trained matrix factorization, frozen as a teacher (the "wide MF" teacher, e.g. d = 128).
 * @module
 */
import type { MatrixFactorization } from "@kdrec/students";
import { frozenModel } from "./frozen_model.js";
import type { Teacher } from "./teacher.js";

/**
 * Freezes a trained MF (see {@link frozenModel}); later training of `model` does not affect the
 * teacher. Dispose it when the distillation is over.
 * @category Teachers
 */
export const frozenMatrixFactorization = (model: MatrixFactorization, name = `mf-${model.config.dim}`): Teacher =>
  frozenModel(model, { name, architecture: "mf", users: model.config.users, items: model.config.items });
