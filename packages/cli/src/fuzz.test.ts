// Fuzzing `kdrec run`: seeded random corruptions of a small MovieLens-100K folder and random
// mutations of a config. Whatever the input, a run ends in a clean error (exit 1 or 2, one
// `kdrec: error:` line, no stack trace, no partial output) or succeeds, and never writes a file
// outside --out. The seed of each case is in its name, to replay one.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type Random, seededRandom } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { scratchFolders } from "@kdrec/testing";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";

const scratch = scratchFolders("kdrec-fuzz-");

/** A small ML-100K folder (40 users, 60 items) written from the synthetic generator. */
const movieLensFiles = (): Record<string, string> => {
  const { interactions: x } = syntheticDataset({ seed: 5, users: 40, items: 60, minPerUser: 5 });
  const rows = Array.from(x.users, (u, r) =>
    [x.userIds[u], x.itemIds[x.items[r]!], x.ratings![r], x.timestamps![r]].join("\t"),
  );
  const flags = (i: number) => Array.from({ length: 19 }, (_, g) => (g === i % 19 ? "1" : "0")).join("|");
  const items = x.itemIds.map((id, i) => `${id}|Item ${id} (1995)|01-Jan-1995||http://x|${flags(i)}`);
  const users = x.userIds.map((id, u) => `${id}|${20 + (u % 40)}|${u % 2 ? "F" : "M"}|other|0000${u % 10}`);
  return { "u.data": `${rows.join("\n")}\n`, "u.item": `${items.join("\n")}\n`, "u.user": `${users.join("\n")}\n` };
};

const quick = { maxEpochs: 1, patience: 1, batchSize: 256 };
const baseConfig = (dataPath: string) => ({
  dataset: { format: "ml-100k", path: dataPath },
  protocol: { name: "leave-last-out" },
  seeds: [1],
  minRating: 1,
  teacher: { name: "teacher", architecture: "mf", dim: 8, learningRate: 0.01, ...quick },
  students: [
    { name: "alone", architecture: "mf", dim: 4, ...quick, strategy: { kind: "none" } },
    {
      name: "taught",
      architecture: "mf",
      dim: 4,
      ...quick,
      strategy: {
        kind: "one-way",
        loss: { kind: "soft-label", temperature: 1, candidates: 20 },
        alpha: 0.5,
        rounds: 1,
        epochsPerRound: 1,
        finetune: { epochs: 1 },
      },
    },
  ],
});

// Values a careless or hostile config might hold: wrong types, out of range, empty, huge.
const ODD_VALUES: unknown[] = [
  -1,
  0,
  0.5,
  3,
  1e300,
  -1e300,
  2 ** 53 + 2,
  "NaN",
  "",
  "x",
  "../../escaped",
  "a/b",
  null,
  true,
  [],
  [1, 1],
  {},
  { kind: "nonsense" },
];
const pick = <A>(rng: Random, values: ReadonlyArray<A>): A => values[rng.int(values.length)]!;

/** Every path to a value in a JSON tree. */
const paths = (value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> => {
  if (value === null || typeof value !== "object") return [prefix];
  const children = Array.isArray(value) ? value.map((v, k) => [k, v] as const) : Object.entries(value);
  return [prefix, ...children.flatMap(([key, child]) => paths(child, [...prefix, key]))];
};

/** One random change: replace a value, delete a key, misspell a key or add an unknown one. */
const mutateConfig = (config: object, rng: Random): object => {
  const copy = structuredClone(config) as Record<string, unknown>;
  const targets = paths(copy).filter((p) => p.length > 0);
  const path = pick(rng, targets);
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], copy) as
    | Record<string, unknown>
    | unknown[];
  const key = path[path.length - 1]!;
  const action = rng.int(4);
  if (action === 0 || Array.isArray(parent)) (parent as Record<string | number, unknown>)[key] = pick(rng, ODD_VALUES);
  else if (action === 1) delete parent[key];
  else if (action === 2) {
    parent[`${String(key).slice(0, -1)}${String(key).slice(-1).toUpperCase()}`] = parent[key];
    delete parent[key];
  } else parent[`extra${rng.int(100)}`] = pick(rng, ODD_VALUES);
  return copy;
};

const CORRUPTIONS: Array<(text: string, rng: Random) => string> = [
  (text, rng) => text.slice(0, rng.int(text.length + 1)), // truncated
  (text, rng) => {
    const at = rng.int(text.length + 1);
    return `${text.slice(0, at)}${pick(rng, ["\0", "\t", "\n", "\n\n", "é", '"', "|", "::", "\uFEFF", "-"])}${text.slice(at)}`;
  },
  (text, rng) => {
    const at = rng.int(text.length);
    return text.slice(0, at) + text.slice(at + 1 + rng.int(20));
  },
  (text, rng) => {
    const lines = text.split("\n");
    const k = rng.int(Math.max(1, lines.length - 1));
    lines.splice(k, 0, lines[k]!); // a repeated line
    return lines.join("\n");
  },
  (text, rng) =>
    text.replace(/\d+(\.\d+)?/g, (m) =>
      rng.float() < 0.02 ? pick(rng, ["3.5", "-7", "1e400", "99999999999999999999", "", "NaN", "0x1F"]) : m,
    ),
  () => "",
  (text) => text.replaceAll("\t", " "),
];

const run = async (argv: string[]) => {
  let err = "";
  const io: CommandIo = { out: () => undefined, err: (text) => (err += text), interactive: false };
  const code = await main(argv, io);
  return { code, err };
};

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();

const expectCleanOutcome = (result: { code: number; err: string }, dir: string, out: string) => {
  expect(result.err).not.toMatch(/\n\s+at /); // no stack trace
  expect([0, 1, 2]).toContain(result.code);
  const outside = filesUnder(dir).filter((file) => !file.startsWith("out/"));
  expect(outside.filter((file) => !file.startsWith("data/") && file !== "run.json")).toEqual([]);
  if (result.code === 0) {
    expect(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).models.length).toBeGreaterThan(0);
  } else {
    expect(result.err.split("\n").filter((line) => line.startsWith("kdrec: error:"))).toHaveLength(1);
    expect(existsSync(out)).toBe(false); // nothing partial left behind
  }
  expect(existsSync(join(dir, "..", "escaped"))).toBe(false);
};

describe("kdrec run under fuzzed input", () => {
  const files = movieLensFiles();
  const setUp = () => {
    const dir = scratch();
    const data = join(dir, "data");
    mkdirSync(data);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(data, name), text);
    return { dir, data, out: join(dir, "out") };
  };

  const outcomes = { succeeded: 0, refused: 0 };

  it.each(Array.from({ length: 30 }, (_, k) => 1000 + k))("a corrupted data folder (seed %i)", async (seed) => {
    const rng = seededRandom(seed);
    const { dir, data, out } = setUp();
    const file = pick(rng, Object.keys(files));
    const corrupt = pick(rng, CORRUPTIONS);
    if (rng.float() < 0.1) rmSync(join(data, file));
    else writeFileSync(join(data, file), corrupt(files[file]!, rng));
    const config = join(dir, "run.json");
    writeFileSync(config, JSON.stringify(baseConfig(data)));
    const result = await run(["run", config, "--out", out]);
    expectCleanOutcome(result, dir, out);
    outcomes[result.code === 0 ? "succeeded" : "refused"] += 1;
  });

  it.each(Array.from({ length: 40 }, (_, k) => 2000 + k))("a mutated config (seed %i)", async (seed) => {
    const rng = seededRandom(seed);
    const { dir, data, out } = setUp();
    let config: object = baseConfig(data);
    for (let k = 1 + rng.int(2); k > 0; k--) config = mutateConfig(config, rng);
    writeFileSync(join(dir, "run.json"), JSON.stringify(config));
    const result = await run(["run", join(dir, "run.json"), "--out", out]);
    expectCleanOutcome(result, dir, out);
    outcomes[result.code === 0 ? "succeeded" : "refused"] += 1;
  });

  it("exercised both outcomes: some fuzzed runs succeed and some are refused", () => {
    expect(outcomes.succeeded).toBeGreaterThan(3);
    expect(outcomes.refused).toBeGreaterThan(20);
  });
});
