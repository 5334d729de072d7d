import { seededRandom } from "@kdrec/core";
import { RowArena } from "../row_arena.js";

/** Both ways the kernels run: WebAssembly SIMD and the JavaScript loops. */
export const kernelModes = [
  ["wasm simd", () => RowArena.create()],
  ["javascript", () => RowArena.create({ simd: false })],
] as const;

/** Copies `values` into the arena (reserved for good) and returns the view. */
export const f32In = (arena: RowArena, values: ArrayLike<number>): Float32Array => {
  const view = arena.f32(arena.reserve(values.length), values.length);
  view.set(values);
  return view;
};

/** Copies `values` into the arena (reserved for good) and returns the view. */
export const i32In = (arena: RowArena, values: ArrayLike<number>): Int32Array => {
  const view = arena.i32(arena.reserve(values.length), values.length);
  view.set(values);
  return view;
};

/** `n` values uniform in [-1, 1) from `seed`. */
export const uniformValues = (n: number, seed: number): Float32Array => {
  const rng = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rng.float() * 2 - 1);
};
