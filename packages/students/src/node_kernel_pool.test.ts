import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { arenaKernel, KdrecListBatches } from "@kdrec/core";
import { leaveLastOut, syntheticDataset, userItemSets } from "@kdrec/data";
import type { ListEpoch } from "@kdrec/model-kit";
import { withArenaKernel, withoutArenaKernel } from "@kdrec/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KernelPool } from "./kernel_pool.js";
import { MatrixFactorization } from "./matrix_factorization.js";
import { startKernelPool } from "./node_kernel_pool.js";

describe("startKernelPool", () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await startKernelPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it.each([5, 8, 13])(
    "splits MatrixFactorization.topK over two threads with the single-thread results (dim %i)",
    (dim) => {
      const split = leaveLastOut(syntheticDataset({ seed: 8, users: 97, items: 301 }).interactions);
      const model = MatrixFactorization.create({ users: 97, items: 301, dim, seed: 4, itemBias: true });
      model.itemBiases!.set(Float32Array.from({ length: 301 }, (_, i) => Math.sin(i) / 10));
      const seen = userItemSets(split.train);
      // An odd number of rows, out of order, a user twice.
      const users = Int32Array.from({ length: 97 }, (_, b) => (b * 37) % 97);
      users[5] = users[60]!;
      const alone = model.topK(users, 12, seen);
      const pooled = model.topK(users, 12, seen, { pool });
      expect(Array.from(pooled.items)).toEqual(Array.from(alone.items));
      expect(Array.from(pooled.scores)).toEqual(Array.from(alone.scores));
      // Without excluded lists too, and with fewer rows than would be worth a helper.
      const few = users.subarray(0, 3);
      expect(Array.from(model.topK(few, 4, undefined, { pool }).items)).toEqual(Array.from(model.topK(few, 4).items));
    },
  );

  it("keeps working after its arena grows, and reports a kernel that fails on a helper", () => {
    const big = MatrixFactorization.create({ users: 2000, items: 3000, dim: 16, seed: 1 });
    const users = Int32Array.from({ length: 2000 }, (_, u) => u);
    expect(Array.from(big.topK(users, 5, undefined, { pool }).items)).toEqual(Array.from(big.topK(users, 5).items));
    // Rows at a pointer past the end of the memory: the helper's kernel traps.
    const outside = 2 ** 31;
    const call = (rows: number) => [
      outside,
      outside,
      outside,
      outside,
      rows,
      4,
      16,
      0,
      0,
      1,
      outside,
      outside,
      outside,
    ];
    expect(() => pool.run("scoreTopK", [call(0), call(1)])).toThrow(/scoreTopK failed on a helper thread/);
    // The caller's own call failing: the error is its, once the helper is done.
    expect(() => pool.run("scoreTopK", [call(1), call(0)])).toThrow(/out of bounds/);
    // The pool is still usable afterwards.
    const small = users.subarray(0, 50);
    expect(Array.from(big.topK(small, 3, undefined, { pool }).items)).toEqual(Array.from(big.topK(small, 3).items));
  });

  it("runs a kernel's native stand-in on its helpers, loaded from the source registered with it; WebAssembly once it is unregistered", async () => {
    const module = join(mkdtempSync(join(tmpdir(), "kdrec-pool-")), "stand_in.cjs");
    writeFileSync(module, `exports.listBatches = () => { throw new Error("the helper's stand-in ran"); };`);
    const ownCalls: number[] = [];
    const standIn = {
      kernel: (_: Uint8Array, parameters: number) => ownCalls.push(parameters),
      source: { module, name: "listBatches" },
    };
    // The stand-in in place of what was registered (here a sentinel; the native kernel where
    // initEngine loaded it), which is put back after.
    const sentinel = { kernel: () => undefined };
    await withArenaKernel(KdrecListBatches, sentinel, async () => {
      await withArenaKernel(KdrecListBatches, standIn, async () => {
        const standIns = await startKernelPool({ threads: 2 });
        try {
          const model = MatrixFactorization.create({ users: 20, items: 30, dim: 4, seed: 1 }, { pool: standIns });
          const lists = { users: Int32Array.from({ length: 8 }, (_, r) => r), items: new Int32Array(32), width: 4 };
          lists.items.forEach((_, j, items) => {
            items[j] = (j * 7) % 30;
          });
          const epoch: ListEpoch = {
            batchRows: [8, 8],
            lists: () => lists,
            width: 4,
            terms: [{ term: { kind: "bpr", positive: 0, negative: 1 }, weight: 1 }],
          };
          // Two batches, one a thread: the caller's stand-in records its call, the helper's throws.
          expect(() => model.trainListEpoch(epoch)).toThrow(/listBatches failed on a helper thread/);
          expect(ownCalls).toHaveLength(1);
          await withoutArenaKernel(KdrecListBatches, () => {
            const before = Float32Array.from(model.itemFactors);
            const [losses] = model.trainListEpoch(epoch);
            expect(Array.from(losses!).every(Number.isFinite)).toBe(true);
            expect(model.itemFactors).not.toEqual(before);
          });
          expect(ownCalls).toHaveLength(1);
        } finally {
          await standIns.close();
        }
      });
      expect(arenaKernel(KdrecListBatches)).toBe(sentinel.kernel);
    });
  });

  it("refuses more calls than threads, and runs nothing once closed", async () => {
    const other = await startKernelPool({ threads: 2 });
    expect(other.threads).toBe(2);
    expect(() => other.run("scoreTopK", [[], [], []])).toThrow(/3 calls for 2 threads/);
    await other.close();
    expect(() => other.run("scoreTopK", [])).toThrow(/closed/);
    await expect(startKernelPool({ threads: 0 })).rejects.toThrow(/positive integer/);
    await expect(startKernelPool({ threads: 65 })).rejects.toThrow(/positive integer up to 64, got 65/);
  });

  it("does not keep the process alive when left open", () => {
    const module = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "node.js");
    const script = `import(${JSON.stringify(module)}).then(async ({ startKernelPool }) => { await startKernelPool({ threads: 2 }); console.log("started"); })`;
    const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(out.trim()).toBe("started");
  });
});
