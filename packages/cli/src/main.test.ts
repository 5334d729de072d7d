// The kdrec command in-process: its output on real data, and one-line errors with a non-zero
// exit and no files written for every kind of bad input.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KDREC_VERSION as VERSION } from "@kdrec/experiment";
import { datasetDir, scratchFolders } from "@kdrec/testing";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";

const run = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const io: CommandIo = { out: (t) => (out += t), err: (t) => (err += t), interactive: false };
  const code = await main(argv, io);
  const errors = err.split("\n").filter((l) => l.startsWith("kdrec: error:"));
  return { code, out, err, errors };
};

const scratch = scratchFolders("kdrec-cli-");

describe("kdrec data stats", () => {
  it("prints MovieLens-100K's counts", async () => {
    const { code, out } = await run("data", "stats", "--format", "ml-100k", "--path", datasetDir("ml-100k"));
    expect(code).toBe(0);
    expect(out).toMatch(/^users\s+943$/m);
    expect(out).toMatch(/^items\s+1,682$/m);
    expect(out).toMatch(/^interactions\s+100,000$/m);
    expect(out).toMatch(/^interactions per user\s+min 20, median 65, max 737$/m);
    expect(out).toMatch(/^duplicate \(user, item\) pairs\s+0$/m);
  });

  it("prints JSON with --json, and filters with --min-rating", async () => {
    const { out } = await run(
      "data",
      "stats",
      "--format",
      "ml-100k",
      "--path",
      datasetDir("ml-100k"),
      "--min-rating",
      "4",
      "--json",
    );
    expect(JSON.parse(out)).toMatchObject({ interactions: 55_375, ratingRange: [4, 5] });
  });
});

describe("kdrec data split", () => {
  it("writes MovieLens-100K's leave-last-out split: 98,114 / 943 / 943 rows of original ids", async () => {
    const out = join(scratch(), "split");
    const { code } = await run(
      "data",
      "split",
      "--format",
      "ml-100k",
      "--path",
      datasetDir("ml-100k"),
      "--protocol",
      "leave-last-out",
      "--out",
      out,
    );
    expect(code).toBe(0);
    const rows = (file: string) => readFileSync(join(out, file), "utf8").trim().split("\n");
    const [train, valid, test] = ["train.tsv", "valid.tsv", "test.tsv"].map(rows);
    for (const part of [train, valid, test]) expect(part![0]).toBe("user\titem\ttimestamp");
    expect([train!.length - 1, valid!.length - 1, test!.length - 1]).toEqual([98_114, 943, 943]);
    expect(JSON.parse(readFileSync(join(out, "meta.json"), "utf8"))).toMatchObject({
      protocol: { name: "leave-last-out" },
      test: { interactions: 943, users: 943 },
    });
    // The three files hold u.data's rows exactly once; each test row is its user's latest
    // (timestamp, then item id) and each validation row the one before.
    const raw = readFileSync(join(datasetDir("ml-100k"), "u.data"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("\t"));
    const key = (user: string, item: string, ts: string) => `${user}/${item}/${ts}`;
    const written = [train!, valid!, test!].flatMap((part) =>
      part.slice(1).map((l) => key(...(l.split("\t") as [string, string, string]))),
    );
    expect(written.sort()).toEqual(raw.map(([u, i, , t]) => key(u!, i!, t!)).sort());
    const latest = new Map<string, number[][]>();
    for (const [u, i, , t] of raw) latest.set(u!, [...(latest.get(u!) ?? []), [Number(t), Number(i)]]);
    for (const line of test!.slice(1)) {
      const [u, i] = line.split("\t");
      const history = latest.get(u!)!.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
      expect(Number(i)).toBe(history[history.length - 1]![1]);
    }
  });

  it("splits the synthetic data at random, seeded", async () => {
    const [a, b] = [join(scratch(), "a"), join(scratch(), "b")];
    for (const out of [a, b]) {
      const { code } = await run(
        "data",
        "split",
        "--format",
        "synthetic",
        "--users",
        "50",
        "--items",
        "80",
        "--protocol",
        "random",
        "--split-seed",
        "3",
        "--out",
        out,
      );
      expect(code).toBe(0);
    }
    expect(readFileSync(join(a, "test.tsv"), "utf8")).toBe(readFileSync(join(b, "test.tsv"), "utf8"));
  });

  it("holds out cold items: no validation or test item is in training", async () => {
    const out = join(scratch(), "cold");
    const args = ["--format", "synthetic", "--users", "50", "--items", "80", "--protocol", "cold-items"];
    const { code } = await run("data", "split", ...args, "--fraction", "0.2", "--out", out);
    expect(code).toBe(0);
    const itemsOf = (file: string) =>
      new Set(
        readFileSync(join(out, file), "utf8")
          .trim()
          .split("\n")
          .slice(1)
          .map((l) => l.split("\t")[1]),
      );
    const train = itemsOf("train.tsv");
    for (const part of ["valid.tsv", "test.tsv"]) for (const item of itemsOf(part)) expect(train.has(item)).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "meta.json"), "utf8")).protocol).toEqual({
      name: "cold-items",
      fraction: 0.2,
      seed: 42,
    });
  });
});

describe("ids and times at the edges", () => {
  it("keeps ids past 2^53 distinct and exact, and prints a timestamp no date has", async () => {
    const dir = scratch();
    // Two ids that one float would merge (2^53 + 1 and 2^53 + 2), a 400-digit id, leading zeros.
    writeFileSync(
      join(dir, "u.data"),
      `9007199254740993\t1\t3\t10\n9007199254740994\t1\t4\t11\n${"9".repeat(400)}\t002\t5\t-5e30\n`,
    );
    const stats = await run("data", "stats", "--format", "ml-100k", "--path", dir, "--json");
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.out)).toMatchObject({ users: 3, items: 2, interactions: 3 });
    const text = await run("data", "stats", "--format", "ml-100k", "--path", dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/time range +-5e\+30 s \(not a date\) \.\. 1970-01-01T00:00:11\.000Z/);
  });
});

describe("bad input: one line, non-zero exit, nothing written", () => {
  const u = (content: string) => {
    const dir = scratch();
    writeFileSync(join(dir, "u.data"), content);
    return dir;
  };
  const cases: Array<[string, () => string[], RegExp]> = [
    ["an empty file", () => ["--format", "ml-100k", "--path", u("")], /u\.data: empty file$/],
    [
      "a wrong number of columns",
      () => ["--format", "ml-100k", "--path", u("1\t2\t3\t4\n1\t2\t3\n")],
      /u\.data:2: expected 4 tab-separated columns, found 3$/,
    ],
    [
      "a non-numeric id",
      () => ["--format", "ml-100k", "--path", u("x\t2\t3\t4\n")],
      /u\.data:1: user id must be a non-negative integer id, found "x"$/,
    ],
    [
      "a NaN rating",
      () => ["--format", "ml-100k", "--path", u("1\t2\tNaN\t4\n")],
      /u\.data:1: rating must be a finite number, found "NaN"$/,
    ],
    [
      "an infinite timestamp",
      () => ["--format", "ml-100k", "--path", u("1\t2\t3\t-Infinity\n")],
      /u\.data:1: timestamp must be a finite number, found "-Infinity"$/,
    ],
    [
      "a rating out of range",
      () => ["--format", "ml-100k", "--path", u("1\t2\t7\t4\n")],
      /u\.data:1: rating 7 is outside the declared range \[1, 5\]$/,
    ],
    [
      "a folder without the expected files",
      () => ["--format", "ml-1m", "--path", scratch()],
      /missing ratings\.dat: not a ml-1m folder$/,
    ],
    ["an unknown format", () => ["--format", "netflix", "--path", scratch()], /--format: unknown format "netflix"/],
    [
      "a missing column mapping",
      () => ["--format", "delimited", "--path", scratch()],
      /--columns: delimited and jsonl files need a column mapping/,
    ],
    [
      "an unknown protocol",
      () => ["--format", "ml-100k", "--path", u("1\t2\t3\t4\n"), "--protocol", "kfold"],
      /--protocol: unknown protocol "kfold"/,
    ],
    ["an unknown option", () => ["--format", "ml-100k", "--pth", "x"], /Unknown option '--pth'/],
    [
      "a half-star rating in ML-100K's whole-star format",
      () => ["--format", "ml-100k", "--path", u("1\t2\t3.5\t4\n")],
      /u\.data:1: rating 3\.5 is not a multiple of 1 \(this format's ratings are whole stars\)$/,
    ],
    [
      "a 50,000-character field (quoted to 200 characters)",
      () => ["--format", "ml-100k", "--path", u(`${"x".repeat(50_000)}\t2\t3\t4\n`)],
      /u\.data:1: user id must be a non-negative integer id, found "x{200}…" \(50,000 characters\)$/,
    ],
  ];

  it.each(cases)("%s", async (_, args, message) => {
    const out = join(scratch(), "split");
    const result = await run("data", "split", ...args(), "--out", out);
    expect(result.code).not.toBe(0);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(result.out).toBe("");
  });

  it("accepts CRLF endings, a byte-order mark and trailing blank lines", async () => {
    const { code, out } = await run(
      "data",
      "stats",
      "--format",
      "ml-100k",
      "--path",
      u("\uFEFF1\t2\t3\t4\r\n2\t2\t5\t6\r\n\r\n"),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^interactions\s+2$/m);
  });

  it("refuses an output folder that holds other files, and leaves them alone", async () => {
    const out = scratch();
    writeFileSync(join(out, "notes.txt"), "mine");
    const result = await run("data", "split", "--format", "ml-100k", "--path", u("1\t2\t3\t4\n"), "--out", out);
    expect(result.errors[0]).toMatch(/the output folder holds other files/);
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("mine");
  });

  it("names an unknown command and prints help", async () => {
    expect((await run("data", "explode")).errors[0]).toMatch(/unknown command "data explode"/);
    const dataHelp = await run("data", "--help");
    expect(dataHelp.code).toBe(0);
    expect(dataHelp.out).toMatch(/kdrec data stats[\s\S]*kdrec data split[\s\S]*dataset options:/);
    const serveHelp = await run("serve", "--help");
    expect(serveHelp.out).toMatch(/kdrec serve --model DIR/);
    expect((await run("frob")).errors[0]).toMatch(
      /unknown command "frob" \(commands: run, report, data stats, data split, recommend, update, targets export, serve/,
    );
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/kdrec data split --format F --path P --out DIR/);
  });

  it("prints one command's usage with --help, and the version with --version", async () => {
    const runHelp = await run("run", "--help");
    expect(runHelp.code).toBe(0);
    expect(runHelp.out).toMatch(/^usage:\n {2}kdrec run \[CONFIG\.json\] --out DIR/);
    expect(runHelp.out).not.toMatch(/kdrec data stats/);
    const statsHelp = await run("data", "stats", "-h");
    expect(statsHelp.code).toBe(0);
    expect(statsHelp.out).toMatch(/kdrec data stats --format F --path P/);
    expect(statsHelp.out).toMatch(/amazon-reviews/);
    const version = await run("--version");
    expect(version).toMatchObject({ code: 0, out: `kdrec ${VERSION}\n` });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
