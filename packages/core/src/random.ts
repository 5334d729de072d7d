/**
 * Seeded, splittable random numbers: every random choice in kdrec flows from one seed.
 *
 * A generator is split into named children (`rng.split("negatives")`) whose streams depend only
 * on the parent's seed and the name, not on how much the parent has drawn, so adding a random
 * draw in one component never shifts the numbers another component sees.
 * @module
 */

/**
 * A deterministic stream of random numbers (xoshiro128** seeded through SplitMix32).
 * @category Random
 */
export interface Random {
  /** The seed this stream was made from (a 32-bit unsigned integer). */
  readonly seed: number;
  /** A uniform 32-bit unsigned integer. */
  uint32(): number;
  /** A uniform float in [0, 1) with 32 bits of randomness. */
  float(): number;
  /** A uniform integer in [0, maxExclusive); `maxExclusive` must be a positive integer below 2^32. */
  int(maxExclusive: number): number;
  /**
   * Writes uniform integers in [0, maxExclusive) to `out[start..end)`: the same values as that
   * many {@link Random.int} calls, without their per-call checks (for long candidate lists).
   */
  fillInts(out: Int32Array, start: number, end: number, maxExclusive: number): void;
  /** A standard normal draw (Box–Muller). */
  normal(): number;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T, A extends { [index: number]: T; length: number }>(items: A): A;
  /** An independent child stream identified by `name`; the same seed and name give the same child. */
  split(name: string): Random;
}

const TWO_POW_32 = 4294967296;

/** SplitMix32 (a 32-bit variant of Steele et al.'s SplitMix): spreads one seed over the state. */
const splitMix32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
};

/** FNV-1a over the name, mixed with the parent seed: the child seed of {@link Random.split}. */
const childSeed = (seed: number, name: string): number => {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  }
  return splitMix32(hash)();
};

/**
 * x mod m for integers below 2^32: `%` on values above 2^31 is a floating-point fmod call in V8
 * (tens of ns); the quotient is exact in doubles here (x < 2^53), so this gives the same value.
 */
const remainder = (x: number, m: number): number => x - Math.floor(x / m) * m;

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * Creates a seeded random stream.
 * @param seed any finite number; it is reduced to 32 bits.
 * @example
 * ```ts
 * const rng = seededRandom(42);
 * const order = rng.split("epoch-0").shuffle(Int32Array.from([0, 1, 2, 3]));
 * ```
 * @category Random
 */
export const seededRandom = (seed: number): Random => {
  const seed32 = Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0;
  const init = splitMix32(seed32);
  // The state in a typed array: closure variables holding values above 2^30 would be boxed, and
  // every draw would allocate.
  const s = Uint32Array.of(init(), init(), init(), init());
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // xoshiro's state must not be all zero

  const uint32 = (): number => {
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  const float = (): number => uint32() / TWO_POW_32;
  const checkBound = (maxExclusive: number, caller: string): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > TWO_POW_32) {
      throw new RangeError(`Random.${caller}: expected a positive integer bound up to 2^32, got ${maxExclusive}`);
    }
    // Rejection sampling keeps every value equally likely (no modulo bias).
    return TWO_POW_32 - (TWO_POW_32 % maxExclusive);
  };
  // The last bound's rejection limit: samplers draw many values under one bound, and the limit's
  // float remainder at every draw was about a third of int's time.
  let lastBound = Number.NaN; // no bound matches it, 0 included (which must be refused)
  let lastLimit = 0;
  const int = (maxExclusive: number): number => {
    if (maxExclusive !== lastBound) {
      lastLimit = checkBound(maxExclusive, "int");
      lastBound = maxExclusive;
    }
    const limit = lastLimit;
    let x = uint32();
    while (x >= limit) x = uint32();
    return remainder(x, maxExclusive);
  };
  // out[k] = int(bound_k) for k in [start, end), bound_k = first + step·(k − start): uint32's steps
  // with the state in int32 locals (no typed-array access per draw), written back at the end — the
  // same stream as those int() calls. A bound's rejection limit is computed only for a draw within
  // the bound of 2^32, the only draws it can reject (the limit exceeds 2^32 − bound).
  const fillBelow = (out: Int32Array, start: number, end: number, first: number, step: number): void => {
    let s0 = s[0]! | 0;
    let s1 = s[1]! | 0;
    let s2 = s[2]! | 0;
    let s3 = s[3]! | 0;
    for (let k = start, bound = first; k < end; k++, bound += step) {
      let x: number;
      do {
        const m = Math.imul(s1, 5);
        x = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 11) | (s3 >>> 21);
      } while (x >= TWO_POW_32 - bound && x >= TWO_POW_32 - (TWO_POW_32 % bound));
      out[k] = remainder(x, bound);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  };
  const fillInts = (out: Int32Array, start: number, end: number, maxExclusive: number): void => {
    checkBound(maxExclusive, "fillInts");
    fillBelow(out, start, end, maxExclusive, 0);
  };
  const normal = (): number => {
    const u = 1 - float(); // (0, 1]: log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * float());
  };
  // Fisher–Yates with j = int(i + 1) for i from the end, those draws made at once.
  const shuffle = <T, A extends { [index: number]: T; length: number }>(items: A): A => {
    if (items.length > 2 ** 31) throw new RangeError("Random.shuffle: more than 2^31 items");
    const n = items.length;
    const draws = new Int32Array(Math.max(0, n - 1));
    fillBelow(draws, 0, draws.length, n, -1);
    for (let i = n - 1; i > 0; i--) {
      const j = draws[n - 1 - i]!;
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  };
  return {
    seed: seed32,
    uint32,
    float,
    int,
    fillInts,
    normal,
    shuffle,
    split: (name) => seededRandom(childSeed(seed32, name)),
  };
};
