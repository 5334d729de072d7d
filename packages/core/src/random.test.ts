import { describe, expect, it } from "vitest";
import { seededRandom } from "./random.js";

const draw = (seed: number, n: number) => Array.from({ length: n }, seededRandom(seed).uint32);

describe("seededRandom", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    expect(draw(7, 100)).toEqual(draw(7, 100));
    expect(draw(7, 100)).not.toEqual(draw(8, 100));
  });

  it("reduces any finite seed to 32 bits and maps non-finite seeds to 0", () => {
    expect(seededRandom(2 ** 32 + 5).seed).toBe(5);
    expect(seededRandom(Number.NaN).seed).toBe(0);
    expect(draw(0, 10).some((x) => x !== 0)).toBe(true);
  });

  it("splits into children that depend on the name, not on what the parent drew", () => {
    const parent = seededRandom(42);
    const before = parent.split("negatives").uint32();
    for (let i = 0; i < 1000; i++) parent.uint32();
    expect(parent.split("negatives").uint32()).toBe(before);
    expect(parent.split("shuffle").uint32()).not.toBe(before);
    expect(parent.split("a").split("b").seed).toBe(seededRandom(42).split("a").split("b").seed);
  });

  it("draws uniform floats and integers without bias", () => {
    const rng = seededRandom(1);
    const n = 200_000;
    const counts = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
      sum += f;
      counts[rng.int(10)]! += 1;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    // Each of 10 buckets expects 20,000 draws; 5 standard deviations is about 670.
    for (const c of counts) expect(Math.abs(c - n / 10)).toBeLessThan(670);
  });

  it("draws standard normals", () => {
    const rng = seededRandom(3);
    const xs = Array.from({ length: 100_000 }, rng.normal);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(variance).toBeCloseTo(1, 1);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it("shuffles typed and plain arrays into permutations, deterministically", () => {
    const a = seededRandom(5).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    const b = seededRandom(5).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).toEqual(b);
    expect([...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(b).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("shuffles with the swaps of int(i + 1) for i from the end, and leaves the stream where those calls do", () => {
    for (const n of [0, 1, 2, 1000, 70_000]) {
      const [a, b] = [seededRandom(n + 3), seededRandom(n + 3)];
      const expected = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = b.int(i + 1);
        [expected[i], expected[j]] = [expected[j]!, expected[i]!];
      }
      expect(a.shuffle(Int32Array.from({ length: n }, (_, i) => i))).toEqual(expected);
      expect(a.uint32()).toBe(b.uint32());
    }
  });

  it("refuses integer bounds that are not positive integers", () => {
    const rng = seededRandom(1);
    expect(() => rng.int(0)).toThrow(/positive integer/);
    expect(() => rng.int(2.5)).toThrow(/positive integer/);
  });

  it("fills a range with the same integers as that many int() calls, leaving the rest alone", () => {
    const [a, b] = [seededRandom(9), seededRandom(9)];
    const out = new Int32Array(8).fill(-1);
    a.fillInts(out, 2, 7, 1682);
    expect(Array.from(out)).toEqual([-1, -1, ...Array.from({ length: 5 }, () => b.int(1682)), -1]);
    expect(a.uint32()).toBe(b.uint32()); // the streams stay in step
    expect(() => a.fillInts(out, 0, 1, 0)).toThrow(/Random.fillInts: expected a positive integer bound/);
    // A bound that rejects about a quarter of the draws (2^30 + 1), over many values and calls in turn.
    const long = new Int32Array(2000);
    for (const [from, to] of [
      [0, 700],
      [700, 1999],
      [1999, 2000],
    ] as const) {
      a.fillInts(long, from, to, 2 ** 30 + 1);
      expect(Array.from(long.subarray(from, to))).toEqual(Array.from({ length: to - from }, () => b.int(2 ** 30 + 1)));
      expect(a.uint32()).toBe(b.uint32());
    }
  });
});
