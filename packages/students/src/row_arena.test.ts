import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RowArena } from "./row_arena.js";

describe("RowArena", () => {
  it("runs the kernels as WebAssembly SIMD on this engine, unless asked not to", () => {
    expect(RowArena.create().simd).toBe(true);
    expect(RowArena.create({ simd: false }).simd).toBe(false);
  });

  it("keeps reserved tables across growth of the memory (offsets stay, views are remade)", () => {
    const arena = RowArena.create();
    const at = arena.reserve(4);
    arena.f32(at, 4).set([1, 2, 3, 4]);
    const [big] = arena.scratch([1_000_000]); // several pages: the memory grows
    expect(big).toBeGreaterThan(at);
    expect(Array.from(arena.f32(at, 4))).toEqual([1, 2, 3, 4]);
  });

  it("hands out zeroed tables even where an earlier step's scratch was", () => {
    const arena = RowArena.create();
    const [at] = arena.scratch([8]);
    arena.f32(at!, 8).fill(7);
    const table = arena.reserve(8);
    expect(table).toBe(at);
    expect(Array.from(arena.f32(table, 8))).toEqual(new Array(8).fill(0));
  });

  it("offers the kernels only for arrays in its own memory", () => {
    const arena = RowArena.create();
    const inside = arena.f32(arena.reserve(4), 4);
    expect(arena.kernelsFor(inside, undefined)).toBeDefined();
    expect(arena.kernelsFor(inside, new Float32Array(4))).toBeUndefined();
    expect(RowArena.create().kernelsFor(inside)).toBeUndefined();
  });

  it("loads the module compiled from the current assembly/ sources", () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "scripts", "build-kernels.mjs");
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).not.toThrow();
  });
});
