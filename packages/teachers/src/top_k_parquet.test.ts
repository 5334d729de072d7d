import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { fileWriter, ParquetWriter, parquetWriteFile } from "hyparquet-writer";
import { afterAll, describe, expect, it } from "vitest";
import { readTopKListsFile, readTopKParquetFiles, writeTopKParquet } from "./top_k_parquet_files.js";

const scratch = mkdtempSync(join(tmpdir(), "kdrec-parquet-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const numericIds = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));

/** Targets for `users` users, `k` items each, best first. */
const targetsOf = (users: number, items: number, k: number) => {
  const out = { k, items: new Int32Array(users * k), scores: new Float32Array(users * k) };
  for (let u = 0; u < users; u++)
    for (let r = 0; r < k; r++) {
      out.items[u * k + r] = (u * 7 + r * 3) % items;
      out.scores[u * k + r] = 10 - r - u / 1000;
    }
  return out;
};

describe("a teacher's top-K lists in Parquet", () => {
  it.each([
    ["string ids", ids("u", 30), ids("i", 40)],
    ["integer ids", numericIds(30), numericIds(40)],
  ])("reads back what it writes (%s), in several row groups", async (_, userIds, itemIds) => {
    const targets = targetsOf(30, 40, 5);
    const path = join(scratch, `round-trip-${userIds[0]}.parquet`);
    writeTopKParquet(path, targets, userIds, itemIds, 7);
    const read = await readTopKParquetFiles(path, userIds, itemIds);
    expect(E.isRight(read) && read.right).toEqual(targets);
  });

  it("reads lists by path in either form (Parquet or text), and names a missing path", async () => {
    const targets = targetsOf(3, 6, 2);
    const [userIds, itemIds] = [ids("u", 3), ids("i", 6)];
    const parquet = join(scratch, "by-path.parquet");
    writeTopKParquet(parquet, targets, userIds, itemIds);
    const text = join(scratch, "by-path.tsv");
    writeFileSync(
      text,
      Array.from(
        targets.items,
        (item, j) => `${userIds[Math.floor(j / 2)]}\t${itemIds[item]}\t${targets.scores[j]}`,
      ).join("\n"),
    );
    for (const path of [parquet, text]) {
      const read = await readTopKListsFile(path, userIds, itemIds);
      expect(E.isRight(read) && Array.from(read.right.items)).toEqual(Array.from(targets.items));
    }
    const missing = await readTopKListsFile(join(scratch, "nothing.tsv"), userIds, itemIds);
    expect(E.isLeft(missing) && missing.left).toMatchObject({
      code: "IO",
      message: "no such file (the external teacher's top-K lists)",
      location: join(scratch, "nothing.tsv"),
    });
  });

  it("reads a Spark output folder: part files in any row order, _SUCCESS and .crc files beside", async () => {
    const userIds = numericIds(12);
    const itemIds = numericIds(20);
    const targets = targetsOf(12, 20, 4);
    const folder = join(scratch, "spark");
    mkdirSync(folder);
    // Users split across two part files, each file's rows reversed (Spark promises no order).
    for (const [part, users] of [
      ["part-00000-a.snappy.parquet", [0, 2, 4, 6, 8, 10]],
      ["part-00001-a.snappy.parquet", [1, 3, 5, 7, 9, 11]],
    ] as const) {
      const rows = users.flatMap((u) => Array.from({ length: 4 }, (_, r) => [u, r] as const)).reverse();
      parquetWriteFile({
        filename: join(folder, part),
        columnData: [
          { name: "user", data: Int32Array.from(rows, ([u]) => u + 1), type: "INT32" },
          { name: "item", data: Int32Array.from(rows, ([u, r]) => targets.items[u * 4 + r]! + 1), type: "INT32" },
          { name: "score", data: Float32Array.from(rows, ([u, r]) => targets.scores[u * 4 + r]!), type: "FLOAT" },
        ],
      });
    }
    writeFileSync(join(folder, "_SUCCESS"), "");
    writeFileSync(join(folder, ".part-00000-a.snappy.parquet.crc"), "not parquet");
    const read = await readTopKParquetFiles(folder, userIds, itemIds);
    expect(E.isRight(read) && read.right).toEqual(targets);
  });

  it("reads Spark ALS's recommendForAllUsers layout: (userId, recommendations: [{movieId, rating}])", async () => {
    const path = join(scratch, "als.parquet");
    parquetWriteFile({
      filename: path,
      schema: [
        { name: "root", num_children: 2 },
        { name: "userId", type: "INT32", repetition_type: "REQUIRED" },
        { name: "recommendations", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "movieId", type: "INT32", repetition_type: "OPTIONAL" },
        { name: "rating", type: "FLOAT", repetition_type: "OPTIONAL" },
      ],
      columnData: [
        { name: "userId", data: [2, 1] },
        {
          name: "recommendations",
          data: [
            [
              { movieId: 30, rating: 0.5 },
              { movieId: 10, rating: 2.5 },
            ],
            [
              { movieId: 20, rating: 1.5 },
              { movieId: 30, rating: 0.75 },
            ],
          ],
        },
      ],
    });
    const read = await readTopKParquetFiles(path, ["1", "2"], ["10", "20", "30"]);
    expect(E.isRight(read) && read.right).toEqual({
      k: 2,
      items: Int32Array.of(1, 2, 0, 2), // user "1": 20 then 30; user "2": 10 then 30 (sorted by rating)
      scores: Float32Array.of(1.5, 0.75, 2.5, 0.5),
    });
  });

  it("refuses what it cannot use, naming the file and the row", async () => {
    const targets = targetsOf(3, 5, 2);
    const path = join(scratch, "bad.parquet");
    writeTopKParquet(path, targets, ["a", "b", "c"], ids("i", 5));
    const unknownItem = await readTopKParquetFiles(path, ["a", "b", "c"], ids("i", 4));
    expect(E.isLeft(unknownItem) && unknownItem.left.message).toMatch(/item "i5" is not in the dataset/);
    expect(E.isLeft(unknownItem) && unknownItem.left.location).toMatch(/bad\.parquet: row \d+/);
    const missingUser = await readTopKParquetFiles(path, ["a", "b", "c", "d"], ids("i", 5));
    expect(E.isLeft(missingUser) && missingUser.left.message).toMatch(/6 rows for 4 users/);
    const wrongColumns = join(scratch, "columns.parquet");
    parquetWriteFile({ filename: wrongColumns, columnData: [{ name: "who", data: [1] }] });
    const columns = await readTopKParquetFiles(wrongColumns, ["1"], ["1"]);
    expect(E.isLeft(columns) && columns.left.message).toMatch(/no column "user", "item", "score" \(columns: who\)/);
    const missing = await readTopKParquetFiles(join(scratch, "nowhere"), ["1"], ["1"]);
    expect(E.isLeft(missing) && missing.left.code).toBe("IO");
  });

  it("streams 1M users × top-50 (50M rows) in bounded memory: the targets plus a working set of at most 512 MiB", async () => {
    const users = 1_000_000;
    const k = 50;
    const usersPerGroup = 20_000;
    const path = join(scratch, "million.parquet");
    const started = performance.now();
    // Written a row group at a time, as a cluster job would (ids 1…1M and 1…100k, as integers).
    const writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: [
        { name: "root", num_children: 3 },
        { name: "user", type: "INT32", repetition_type: "REQUIRED" },
        { name: "item", type: "INT32", repetition_type: "REQUIRED" },
        { name: "score", type: "FLOAT", repetition_type: "REQUIRED" },
      ],
      statistics: false,
    });
    for (let first = 0; first < users; first += usersPerGroup) {
      const n = usersPerGroup * k;
      const user = new Int32Array(n);
      const item = new Int32Array(n);
      const score = new Float32Array(n);
      for (let r = 0; r < n; r++) {
        const u = first + Math.floor(r / k);
        user[r] = u + 1;
        item[r] = ((u * 31 + (r % k) * 977) % 100_000) + 1;
        score[r] = k - (r % k);
      }
      writer.write({
        columnData: [
          { name: "user", data: user },
          { name: "item", data: item },
          { name: "score", data: score },
        ],
        rowGroupSize: n,
      });
    }
    writer.finish();
    console.log(`written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const userIds = numericIds(users);
    const itemIds = numericIds(100_000);
    // The resident set, sampled while reading (the reader awaits between row groups).
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    const readStart = performance.now();
    const read = await readTopKParquetFiles(path, userIds, itemIds);
    console.log(`read in ${((performance.now() - readStart) / 1000).toFixed(1)} s`);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (E.isLeft(read)) throw new Error(read.left.message);
    const targets = read.right;
    expect(targets.k).toBe(k);
    for (const u of [0, 123_456, users - 1]) {
      expect(targets.items[u * k]).toBe((u * 31) % 100_000);
      expect(targets.scores[u * k + k - 1]).toBe(1);
    }
    const targetBytes = users * k * 8; // 400 MB: the result itself
    const bound = targetBytes + 512 * 2 ** 20;
    // The file decoded whole as rows would be several GB of objects; read a group at a time, the
    // growth is the targets plus a working set that does not grow with the file (a row group's
    // columns and the collector's slack: 120–200 MiB measured).
    expect(peak - baseline).toBeLessThan(bound);
    console.log(
      `1M users × top-50 from Parquet: resident set grew ${((peak - baseline) / 2 ** 20).toFixed(0)} MiB while reading (bound ${(bound / 2 ** 20).toFixed(0)} MiB; the targets are ${(targetBytes / 2 ** 20).toFixed(0)} MiB)`,
    );
  });
});
