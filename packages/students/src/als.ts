/**
 * Weighted alternating least squares for implicit feedback (Hu, Koren & Volinsky, ICDM 2008), and
 * its distilled form. ALS trains the tables of a {@link MatrixFactorization} in closed form, so the
 * result is evaluated, served and saved like any MF.
 *
 * Each user's factors solve (YᵀY + Σᵢ (cᵤᵢ − 1) yᵢyᵢᵀ + λI) xᵤ = Σᵢ cᵤᵢ pᵤᵢ yᵢ, the sums running over
 * the user's weighted entries only (every other item has preference 0 and confidence 1, which
 * YᵀY already covers); items likewise. The small d×d systems are solved by Cholesky (ml-matrix).
 * @module
 */
import { type Interactions, numItems, numUsers } from "@kdrec/data";
import type { ClosedFormModel } from "@kdrec/model-kit";
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import type {
  MatrixFactorization,
  MatrixFactorizationState,
  MatrixFactorizationWeights,
} from "./matrix_factorization.js";

/**
 * Per-user weighted entries (CSR): item, preference p ∈ [0, 1] and confidence c ≥ 1 of
 * `items[offsets[u] .. offsets[u + 1])`.
 * @category Students
 */
export interface PreferenceEntries {
  readonly numUsers: number;
  readonly numItems: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly preferences: Float32Array;
  readonly confidences: Float32Array;
}

/**
 * Options of {@link fitAls}.
 * @category Students
 */
export interface AlsOptions {
  /** Alternating sweeps (users, then items); default 15. */
  readonly sweeps?: number;
  /** λ of the ridge term; default 0.1. */
  readonly regularization?: number;
  /** Called after every sweep; return false to stop. */
  readonly onSweep?: (sweep: number) => boolean | undefined;
}

const build = (users: number, items: number, rows: Array<Map<number, { p: number; c: number }>>): PreferenceEntries => {
  const offsets = new Int32Array(users + 1);
  rows.forEach((row, u) => {
    offsets[u + 1] = offsets[u]! + row.size;
  });
  const n = offsets[users]!;
  const out = { items: new Int32Array(n), preferences: new Float32Array(n), confidences: new Float32Array(n) };
  rows.forEach((row, u) => {
    let k = offsets[u]!;
    for (const [item, { p, c }] of [...row.entries()].sort((a, b) => a[0] - b[0])) {
      out.items[k] = item;
      out.preferences[k] = p;
      out.confidences[k] = c;
      k++;
    }
  });
  return { numUsers: users, numItems: items, offsets, ...out };
};

/**
 * The classic implicit entries: every training interaction has preference 1 and confidence
 * 1 + `confidence` (repeated interactions add up).
 * @category Students
 */
export const implicitPreferences = (train: Interactions, confidence = 10): PreferenceEntries => {
  const rows = Array.from({ length: numUsers(train) }, () => new Map<number, { p: number; c: number }>());
  for (let r = 0; r < train.users.length; r++) {
    const row = rows[train.users[r]!]!;
    const entry = row.get(train.items[r]!);
    row.set(train.items[r]!, { p: 1, c: (entry?.c ?? 1) + confidence });
  }
  return build(numUsers(train), numItems(train), rows);
};

/**
 * Distilled entries: observed items and the teacher's top items mixed by the distillation ratio
 * α. Observed items keep preference (1 − α) + α·σ(teacher score) where the teacher scored them in
 * its top list (else 1 − α + α = their observed value, 1); the teacher's other top items get
 * preference α·σ(score) with confidence 1 + `confidence`·wᵣ, wᵣ ∝ exp(−rank/λ) normalised to a
 * maximum of 1 — so the student also fits what the teacher ranks high but the user never saw.
 * @category Students
 */
export const distilledPreferences = (
  train: Interactions,
  targets: { readonly k: number; readonly items: Int32Array; readonly scores: Float32Array },
  alpha: number,
  confidence = 10,
  lambda = 10,
): PreferenceEntries => {
  const base = implicitPreferences(train, confidence);
  const rows = Array.from({ length: base.numUsers }, (_, u) => {
    const row = new Map<number, { p: number; c: number }>();
    for (let k = base.offsets[u]!; k < base.offsets[u + 1]!; k++)
      row.set(base.items[k]!, { p: 1, c: base.confidences[k]! });
    return row;
  });
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  rows.forEach((row, u) => {
    for (let r = 0; r < targets.k; r++) {
      const item = targets.items[u * targets.k + r]!;
      const soft = sigmoid(targets.scores[u * targets.k + r]!);
      const observed = row.get(item);
      row.set(
        item,
        observed === undefined
          ? { p: alpha * soft, c: 1 + confidence * Math.exp(-r / lambda) }
          : { p: 1 - alpha + alpha * soft, c: observed.c },
      );
    }
  });
  return build(base.numUsers, base.numItems, rows);
};

/** Solves every row of `solve` from `fixed` (both row-major `n × dim`) for entries `(entries by row)`. */
const sweep = (
  solveFor: Float32Array,
  fixed: Float32Array,
  dim: number,
  entries: { offsets: Int32Array; items: Int32Array; preferences: Float32Array; confidences: Float32Array },
  lambda: number,
): void => {
  const rows = entries.offsets.length - 1;
  const fixedRows = fixed.length / dim;
  // YᵀY + λI once per sweep.
  const gram = new Float64Array(dim * dim);
  for (let i = 0; i < fixedRows; i++) {
    for (let a = 0; a < dim; a++) {
      const ya = fixed[i * dim + a]!;
      for (let b = a; b < dim; b++) gram[a * dim + b]! += ya * fixed[i * dim + b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    gram[a * dim + a]! += lambda;
    for (let b = 0; b < a; b++) gram[a * dim + b] = gram[b * dim + a]!;
  }
  const A = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  for (let u = 0; u < rows; u++) {
    A.set(gram);
    rhs.fill(0);
    for (let k = entries.offsets[u]!; k < entries.offsets[u + 1]!; k++) {
      const y = entries.items[k]! * dim;
      const c = entries.confidences[k]!;
      const cp = c * entries.preferences[k]!;
      for (let a = 0; a < dim; a++) {
        const ya = fixed[y + a]!;
        rhs[a]! += cp * ya;
        for (let b = 0; b < dim; b++) A[a * dim + b]! += (c - 1) * ya * fixed[y + b]!;
      }
    }
    const matrix = new Matrix(Array.from({ length: dim }, (_, a) => Array.from(A.subarray(a * dim, (a + 1) * dim))));
    const x = new CholeskyDecomposition(matrix).solve(Matrix.columnVector(Array.from(rhs)));
    for (let a = 0; a < dim; a++) solveFor[u * dim + a] = x.get(a, 0);
  }
};

/** The same entries grouped by item (the transpose of the CSR). */
const byItem = (entries: PreferenceEntries) => {
  const offsets = new Int32Array(entries.numItems + 1);
  for (const item of entries.items) offsets[item + 1]! += 1;
  for (let i = 0; i < entries.numItems; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, entries.numItems);
  const n = entries.items.length;
  const out = { items: new Int32Array(n), preferences: new Float32Array(n), confidences: new Float32Array(n) };
  for (let u = 0; u < entries.numUsers; u++) {
    for (let k = entries.offsets[u]!; k < entries.offsets[u + 1]!; k++) {
      const at = fill[entries.items[k]!]!++;
      out.items[at] = u;
      out.preferences[at] = entries.preferences[k]!;
      out.confidences[at] = entries.confidences[k]!;
    }
  }
  return { offsets, ...out };
};

/**
 * Fits `model`'s tables (its item biases, if any, are left at zero) by weighted ALS on `entries`.
 * @example
 * ```ts
 * fitAls(model, implicitPreferences(split.train), { sweeps: 10 });
 * ```
 * @category Students
 */
export const fitAls = (model: MatrixFactorization, entries: PreferenceEntries, options: AlsOptions = {}): void => {
  const { dim } = model.config;
  if (entries.numUsers !== model.config.users || entries.numItems !== model.config.items) {
    throw new RangeError(
      `fitAls: entries for ${entries.numUsers}x${entries.numItems}, model is ${model.config.users}x${model.config.items}`,
    );
  }
  const items = byItem(entries);
  const lambda = options.regularization ?? 0.1;
  for (let s = 0; s < (options.sweeps ?? 15); s++) {
    sweep(model.userFactors, model.itemFactors, dim, entries, lambda);
    sweep(model.itemFactors, model.userFactors, dim, items, lambda);
    if (options.onSweep?.(s) === false) break;
  }
};

/**
 * An MF model trained by weighted ALS as the trainer's closed-form model: each epoch is one sweep
 * (users, then items) over `entries`; snapshots and checkpoints are the MF's.
 * @example
 * ```ts
 * const als = alsModel(model, implicitPreferences(split.train), 0.1);
 * await fit({ model: als, split, seed: 1, schedule: { phase: "train", epochs: 15 }, patience: 3 });
 * ```
 * @category Students
 */
export const alsModel = (
  model: MatrixFactorization,
  entries: PreferenceEntries,
  regularization = 0.1,
): ClosedFormModel<MatrixFactorizationWeights, MatrixFactorizationState> => ({
  get parameterCount() {
    return model.parameterCount;
  },
  allItemScorer: () => model.allItemScorer(),
  snapshot: () => model.snapshot(),
  restore: (weights) => model.restore(weights),
  trainingState: () => model.trainingState(),
  restoreTrainingState: (state) => model.restoreTrainingState(state),
  closedFormEpoch: () => {
    fitAls(model, entries, { sweeps: 1, regularization });
    return Number.NaN;
  },
});
