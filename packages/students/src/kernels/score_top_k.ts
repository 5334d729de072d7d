import type { UserItems } from "@kdrec/data";
import { type KernelPool, partOf } from "../kernel_pool.js";
import { pointer, type RowArena } from "../row_arena.js";

/** The arrays of {@link scoreTopK}. */
export interface ScoreTopKArgs {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases: Float32Array | undefined;
  readonly users: Int32Array;
  readonly dim: number;
  readonly items: number;
  /** Items left out per user, as sorted CSR lists indexed by user (absent: none). */
  readonly excludeOffsets: Int32Array | undefined;
  readonly excludeItems: Int32Array | undefined;
  readonly k: number;
  /** Receive each row's best items and scores, best first, `[users.length, k]` (-1 / -∞ where fewer). */
  readonly outItems: Int32Array;
  readonly outScores: Float32Array;
  /** Scratch room of {@link scoreTopKWorkSize} floats (the items blocked four at a time). */
  readonly work: Float32Array;
}

/**
 * Floats of scratch {@link scoreTopK} needs: the blocked item table and biases, then the kernel's
 * room (two users' splats, a group's 16 scores, two rows' selection state).
 */
export const scoreTopKWorkSize = (items: number, dim: number): number => {
  const blocks = paddedBlocks(items);
  return blocks * dim * 4 + blocks * 4 + kernelScratchSize(dim);
};

/** Floats of the kernel's own room: two users' splats, a group's 16 scores, two rows' state. */
const kernelScratchSize = (dim: number): number => 2 * dim * 4 + 16 + 8;

/** Blocks of four items, padded to whole groups of four blocks (the kernel scores 16 at a time). */
const paddedBlocks = (items: number): number => Math.ceil(items / 16) * 4;

/**
 * Lays the item table out four items at a time (block j: factor d of items 4j … 4j+3 together),
 * the biases likewise, zero-padded: one SIMD lane per item.
 */
const blockItems = (
  Q: Float32Array,
  biases: Float32Array | undefined,
  items: number,
  dim: number,
  work: Float32Array,
) => {
  const blocks = paddedBlocks(items);
  const blocked = work.subarray(0, blocks * dim * 4).fill(0);
  const blockedBiases = work.subarray(blocks * dim * 4, blocks * dim * 4 + blocks * 4).fill(0);
  for (let i = 0; i < items; i++) {
    const base = (i >> 2) * dim * 4 + (i & 3);
    for (let d = 0; d < dim; d++) blocked[base + d * 4] = Q[i * dim + d]!;
    if (biases !== undefined) blockedBiases[i] = biases[i]!;
  }
  return { blocked, blockedBiases, scratch: work.subarray(blocks * dim * 4 + blocks * 4) };
};

/**
 * Each user's `k` best items outside their excluded items, in one pass over the catalogue (no
 * score matrix, no mask): ties go to the lower index, NaN scores never rank.
 */
export const scoreTopK = (arena: RowArena, a: ScoreTopKArgs): void => {
  if (a.work.length < scoreTopKWorkSize(a.items, a.dim)) throw new RangeError("scoreTopK: work is too small");
  const { userFactors: P, itemFactors: Q, itemBiases: biases, users, dim, items, k, outItems, outScores } = a;
  const { excludeOffsets, excludeItems } = a;
  const kernels = arena.kernelsFor(P, users, excludeOffsets, excludeItems, outItems, outScores, a.work);
  if (kernels !== undefined) {
    const { blocked, blockedBiases, scratch } = blockItems(Q, biases, items, dim, a.work);
    kernels.scoreTopK(
      pointer(P),
      pointer(blocked),
      pointer(blockedBiases),
      pointer(users),
      users.length,
      dim,
      items,
      pointer(excludeOffsets),
      pointer(excludeItems),
      k,
      pointer(outItems),
      pointer(outScores),
      pointer(scratch),
    );
    return;
  }
  for (let b = 0; b < users.length; b++) {
    const user = users[b]!;
    const pu = user * dim;
    const bestItems = outItems.subarray(b * k, (b + 1) * k).fill(-1);
    const bestScores = outScores.subarray(b * k, (b + 1) * k).fill(Number.NEGATIVE_INFINITY);
    let next = excludeOffsets === undefined ? 0 : excludeOffsets[user]!;
    const end = excludeOffsets === undefined ? 0 : excludeOffsets[user + 1]!;
    let filled = 0;
    for (let i = 0; i < items; i++) {
      if (next < end && excludeItems![next] === i) {
        next++;
        continue;
      }
      let score = 0;
      for (let d = 0; d < dim; d++) score += P[pu + d]! * Q[i * dim + d]!;
      score = Math.fround(score + (biases === undefined ? 0 : biases[i]!));
      if (Number.isNaN(score) || (filled === k && !(score > bestScores[k - 1]!))) continue;
      let at = filled < k ? filled++ : k - 1;
      while (at > 0 && score > bestScores[at - 1]!) {
        bestScores[at] = bestScores[at - 1]!;
        bestItems[at] = bestItems[at - 1]!;
        at--;
      }
      bestScores[at] = score;
      bestItems[at] = i;
    }
  }
};

/** What {@link scoreTopKOnPool} scores: the model's tables, the rows' users and their excluded lists. */
export type PooledTopKArgs = Pick<
  ScoreTopKArgs,
  "userFactors" | "itemFactors" | "itemBiases" | "users" | "dim" | "items" | "k"
> & { readonly exclude: UserItems | undefined };

/**
 * {@link scoreTopK} with the rows split over a pool's threads. The rows' user factors and
 * excluded lists are copied into the pool's shared arena (renumbered 0 … rows − 1), with the
 * blocked item table, once; each thread then scores its run of rows with room of its own. Each
 * row's result is the single-thread one: a row is one user's pass over the catalogue.
 */
export const scoreTopKOnPool = (
  pool: KernelPool,
  a: PooledTopKArgs,
): { readonly items: Int32Array; readonly scores: Float32Array } => {
  const { users, dim, items, exclude, k } = a;
  const rows = users.length;
  // Below two pairs of rows per thread, a helper's wake-up costs more than its share.
  const threads = Math.max(1, Math.min(pool.threads, Math.floor(rows / 4)));
  const excluded =
    exclude === undefined ? 0 : users.reduce((n, u) => n + exclude.offsets[u + 1]! - exclude.offsets[u]!, 0);
  const tableSize = scoreTopKWorkSize(items, dim) - kernelScratchSize(dim);
  // Each thread's room on cache lines of its own: a line written by one thread and read by another
  // would bounce between the cores on every group.
  const room = Math.ceil(kernelScratchSize(dim) / 16) * 16;
  const arena = pool.arena;
  const at = arena.scratch([
    rows * dim,
    rows,
    exclude === undefined ? 0 : rows + 1,
    excluded,
    rows * k,
    rows * k,
    tableSize,
    threads * room,
  ]);
  const userFactors = arena.f32(at[0]!, rows * dim);
  const rowIds = arena.i32(at[1]!, rows);
  const offsets = exclude === undefined ? undefined : arena.i32(at[2]!, rows + 1);
  const lists = exclude === undefined ? undefined : arena.i32(at[3]!, excluded);
  const first = users[0] ?? 0;
  if (users.every((u, row) => u === first + row)) {
    // A run of consecutive users (every user, a block of them): each copy in one piece.
    userFactors.set(a.userFactors.subarray(first * dim, (first + rows) * dim));
    for (let row = 0; row < rows; row++) rowIds[row] = row;
    if (exclude !== undefined) {
      const base = exclude.offsets[first]!;
      for (let row = 0; row <= rows; row++) offsets![row] = exclude.offsets[first + row]! - base;
      lists!.set(exclude.items.subarray(base, base + excluded));
    }
  } else {
    let end = 0;
    users.forEach((u, row) => {
      userFactors.set(a.userFactors.subarray(u * dim, (u + 1) * dim), row * dim);
      rowIds[row] = row;
      if (exclude === undefined) return;
      offsets![row] = end;
      const list = exclude.items.subarray(exclude.offsets[u]!, exclude.offsets[u + 1]!);
      lists!.set(list, end);
      end += list.length;
    });
    if (offsets !== undefined) offsets[rows] = end;
  }
  const blocks = paddedBlocks(items);
  blockItems(a.itemFactors, a.itemBiases, items, dim, arena.f32(at[6]!, tableSize));
  const outItems = at[4]!;
  const outScores = at[5]!;
  const calls = Array.from({ length: threads }, (_, t) => {
    const [start, end] = partOf(rows, threads, t);
    return [
      at[0]!,
      at[6]!,
      at[6]! + blocks * dim * 16,
      at[1]! + start * 4,
      end - start,
      dim,
      items,
      exclude === undefined ? 0 : at[2]!,
      exclude === undefined ? 0 : at[3]!,
      k,
      outItems + start * k * 4,
      outScores + start * k * 4,
      at[7]! + t * room * 4,
    ];
  });
  pool.run("scoreTopK", calls);
  return { items: arena.i32(outItems, rows * k).slice(), scores: arena.f32(outScores, rows * k).slice() };
};
