// `kdrec run` under hostile or careless input: every case ends in one `kdrec: error:` line (exit 1
// or 2), writes nothing outside --out, and leaves no partial output.
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchFolders } from "@kdrec/testing";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";

const scratch = scratchFolders("kdrec-hostile-");
const run = async (...argv: string[]) => {
  let err = "";
  const io: CommandIo = { out: () => undefined, err: (t) => (err += t), interactive: false };
  const code = await main(argv, io);
  return {
    code,
    text: err,
    errors: err.split("\n").filter((l) => l.startsWith("kdrec: error:")),
    stack: /\n\s+at /.test(err),
  };
};
const quick = { maxEpochs: 1, patience: 1, batchSize: 512 };
const base = {
  dataset: { format: "synthetic", options: { seed: 2, users: 40, items: 50 } },
  teacher: { name: "teacher", dim: 8, ...quick },
  students: [{ name: "student", dim: 4, ...quick }],
};
const withStudent = (student: object) => ({ ...base, students: [{ ...base.students[0], ...student }] });
const configFile = (dir: string, config: unknown) => {
  const path = join(dir, "run.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
};

describe("kdrec run with hostile or careless input", () => {
  const cases: Array<[string, object, number, RegExp]> = [
    [
      "a name climbing out of --out",
      withStudent({ name: "../../escaped" }),
      2,
      /students\[0\]\.name: .*letters, digits/,
    ],
    ["a name with a slash", withStudent({ name: "a/b" }), 2, /students\[0\]\.name/],
    ["a name that is '..'", withStudent({ name: ".." }), 2, /students\[0\]\.name/],
    [
      "a student named like the teacher",
      withStudent({ name: "teacher" }),
      2,
      /students\[0\]\.name: the name "teacher" is taken/,
    ],
    [
      "two students of one name",
      { ...base, students: [base.students[0], base.students[0]] },
      2,
      /students\[1\]\.name: the name "student" is taken/,
    ],
    ["initStd 1e30", withStudent({ initStd: 1e30 }), 2, /students\[0\]\.initStd: expected a number in \(0, 10\]/],
    [
      "learningRate 1e6",
      withStudent({ learningRate: 1e6 }),
      2,
      /students\[0\]\.learningRate: expected a number in \(0, 10\]/,
    ],
    [
      "a temperature of 1e9",
      withStudent({ strategy: { kind: "one-way", loss: { kind: "soft-label", temperature: 1e9 } } }),
      2,
      /temperature/,
    ],
    ["no seeds", { ...base, seeds: [] }, 2, /seeds: no seeds to run/],
    ["a seed twice", { ...base, seeds: [1, 1] }, 2, /seeds: seed 1 is listed twice/],
    ["a minRating that leaves nothing", { ...base, minRating: 99 }, 2, /minRating: no interaction is rated 99 or more/],
  ];
  it.each(cases)("refuses %s, writing nothing", async (_what, config, code, message) => {
    const dir = scratch();
    const out = join(dir, "deep", "out");
    const result = await run("run", configFile(dir, config), "--out", out);
    expect(result.errors).toHaveLength(1);
    expect(result.text).toMatch(message);
    expect(result.code).toBe(code);
    expect(result.stack).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(
      ["deep", "run.json"].filter((f) => f !== "deep" || existsSync(join(dir, "deep"))),
    );
    expect(existsSync(join(dir, "escaped")) || existsSync(join(dir, "..", "escaped"))).toBe(false);
  });

  it("refuses an --out that is empty, a file, another folder's contents, or a previous run without --resume", async () => {
    const dir = scratch();
    const config = configFile(dir, base);
    expect((await run("run", config, "--out", "")).errors[0]).toMatch(/--out: is empty/);
    writeFileSync(join(dir, "a-file"), "x");
    expect((await run("run", config, "--out", join(dir, "a-file"))).errors[0]).toMatch(
      /a-file: is a file, not a folder/,
    );
    mkdirSync(join(dir, "photos"));
    writeFileSync(join(dir, "photos", "cat.jpg"), "x");
    const other = await run("run", config, "--out", join(dir, "photos"));
    expect(other.errors[0]).toMatch(/photos: is not empty and holds no kdrec run/);
    expect(readdirSync(join(dir, "photos"))).toEqual(["cat.jpg"]);
    const out = join(dir, "run");
    expect((await run("run", config, "--out", out)).code).toBe(0);
    const again = await run("run", config, "--out", out);
    expect(again.errors[0]).toMatch(/run: holds a previous run: --resume to continue it, --overwrite to replace it/);
    expect((await run("run", config, "--out", out, "--overwrite")).code).toBe(0);
    expect((await run("run", config, "--out", out, "--resume")).code).toBe(0);
  });

  it("refuses a dataset that repeats a (user, item) pair before training, and runs it with --duplicates keep-last", async () => {
    const dir = scratch();
    const rows = ["user,item,time"];
    for (let u = 1; u <= 30; u++) for (let k = 0; k < 6; k++) rows.push(`${u},${(u * 7 + k * 3) % 40},${k}`);
    rows.push("5,35,9"); // user 5 had item 35 at time 0 (line 26): line 182 repeats the pair
    writeFileSync(join(dir, "events.csv"), `${rows.join("\n")}\n`);
    const config = configFile(dir, {
      ...base,
      dataset: {
        format: "delimited",
        path: join(dir, "events.csv"),
        columns: { user: "user", item: "item", timestamp: "time" },
      },
    });
    const out = join(dir, "run");
    const refused = await run("run", config, "--out", out);
    expect(refused.code).toBe(1);
    expect(refused.errors).toEqual([
      expect.stringMatching(/events\.csv:182: user "5" has item "35" on lines 26 and 182 .*"duplicates": "keep-last"/),
    ]);
    expect(existsSync(out)).toBe(false);
    expect((await run("run", config, "--out", out, "--duplicates", "merge")).errors[0]).toMatch(
      /--duplicates: expected refuse, keep-last or keep-all, got "merge"/,
    );
    expect((await run("run", config, "--out", out, "--duplicates", "keep-last")).code).toBe(0);
    const { readFileSync } = await import("node:fs");
    const resolved = JSON.parse(readFileSync(join(out, "config.resolved.json"), "utf8"));
    expect(resolved.dataset.duplicates).toBe("keep-last");
  });

  it("refuses to write through a symlink planted among a run's outputs", async () => {
    const dir = scratch();
    const config = configFile(dir, base);
    const out = join(dir, "run");
    expect((await run("run", config, "--out", out)).code).toBe(0);
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "precious");
    const { rmSync, readFileSync } = await import("node:fs");
    rmSync(join(out, "results.json"));
    symlinkSync(victim, join(out, "results.json"));
    const resumed = await run("run", config, "--out", out, "--resume");
    expect(resumed.errors[0]).toMatch(/results\.json is a symbolic link/);
    expect(readFileSync(victim, "utf8")).toBe("precious");
  });
});
