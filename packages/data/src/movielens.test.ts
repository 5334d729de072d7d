import { readFileSync } from "node:fs";
import { join } from "node:path";
import { datasetDir } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import type { Dataset } from "./interactions.js";
import { loadMovieLens100K } from "./movielens.js";
import { leaveLastOut } from "./splits.js";
import { datasetStats } from "./stats.js";

describe("MovieLens-100K (real data)", () => {
  let data: Dataset;
  let dir: string;
  beforeAll(async () => {
    dir = datasetDir("ml-100k");
    const loaded = await loadMovieLens100K(dir);
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    data = loaded.right;
  });

  it("has 943 users, 1,682 items and 100,000 ratings in [1, 5], no duplicates", () => {
    const stats = datasetStats(data.interactions);
    expect(stats).toMatchObject({ users: 943, items: 1682, interactions: 100_000, duplicates: 0, ratingRange: [1, 5] });
    expect(stats.perUser).toEqual({ min: 20, median: 65, max: 737 });
    expect(stats.timeRange).toEqual([874724710, 893286638]);
    expect(data.interactions.userIds[0]).toBe("1");
    expect(data.interactions.itemIds[1681]).toBe("1682");
  });

  it("keeps titles (latin-1) and the 19 genres of u.item, and the users' demographics", () => {
    const items = data.items!;
    expect(items.categoryNames).toHaveLength(19);
    const toyStory = data.interactions.itemIds.indexOf("1");
    expect(items.titles![toyStory]).toBe("Toy Story (1995)");
    const genres = items.categoryIndex!.subarray(
      items.categoryOffsets![toyStory]!,
      items.categoryOffsets![toyStory + 1]!,
    );
    expect(Array.from(genres, (g) => items.categoryNames![g])).toEqual(["Animation", "Children's", "Comedy"]);
    expect(items.titles!.some((title) => title.includes("Misérables"))).toBe(true);
    expect(data.users!.columns.occupation![0]).toBe("technician");
    // The key column is the user's identity, not a feature.
    expect(Object.keys(data.users!.columns)).toEqual(["age", "gender", "occupation", "zip"]);
  });

  it("splits leave-last-out into 98,114 / 943 / 943, exactly as the protocol orders u.data", () => {
    const split = leaveLastOut(data.interactions);
    expect([split.train.users.length, split.valid.users.length, split.test.users.length]).toEqual([98_114, 943, 943]);

    // An independent reading of u.data: per user, order by (timestamp, numeric item id).
    const byUser = new Map<string, [number, number][]>();
    for (const line of readFileSync(join(dir, "u.data"), "utf8").trim().split("\n")) {
      const [user, item, , ts] = line.split("\t");
      byUser.set(user!, [...(byUser.get(user!) ?? []), [Number(ts), Number(item)]]);
    }
    const expected = new Map<string, { valid: number; test: number }>();
    for (const [user, rows] of byUser) {
      rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expected.set(user, { valid: rows[rows.length - 2]![1], test: rows[rows.length - 1]![1] });
    }
    const ids = data.interactions;
    for (let r = 0; r < 943; r++) {
      const user = ids.userIds[split.test.users[r]!]!;
      expect(Number(ids.itemIds[split.test.items[r]!])).toBe(expected.get(user)!.test);
      const validUser = ids.userIds[split.valid.users[r]!]!;
      expect(Number(ids.itemIds[split.valid.items[r]!])).toBe(expected.get(validUser)!.valid);
    }
  });
});
