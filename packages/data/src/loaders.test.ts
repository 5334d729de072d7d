// Loader behaviour on small files written by the test: formats, tolerated quirks, and every
// kind of bad input, each with a one-line error naming file, line and what is wrong.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeConfig } from "@kdrec/core";
import { datasetDir, scratchFolders } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { loadAmazonReviews } from "./amazon.js";
import { DatasetSpec, parseDatasetFormat } from "./dataset_spec.js";
import { loadDelimited, loadJsonLines } from "./generic.js";
import type { Dataset } from "./interactions.js";
import { loadDataset } from "./load.js";
import { loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
import { leaveLastOut } from "./splits.js";
import { datasetStats } from "./stats.js";

const scratch = scratchFolders("kdrec-data-");
const folder = (files: Record<string, string | Buffer>): string => {
  const dir = scratch();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
};

const folderFile = (name: string, content: string): string => join(folder({ [name]: content }), name);

const loaded = (result: E.Either<{ message: string }, Dataset>): Dataset => {
  if (E.isLeft(result)) throw new Error(result.left.message);
  return result.right;
};

const failure = (result: E.Either<{ message: string; location?: string }, unknown>): string => {
  if (E.isRight(result)) throw new Error("expected a failure");
  return result.left.location === undefined ? result.left.message : `${result.left.location}: ${result.left.message}`;
};

const U_DATA = "3\t10\t4\t100\n1\t20\t5\t50\n1\t10\t3\t60\n";

describe("MovieLens 100K format", () => {
  it("indexes users and items in numeric id order, whatever the file order", async () => {
    const data = loaded(await loadMovieLens100K(folder({ "u.data": U_DATA })));
    expect(data.interactions.userIds).toEqual(["1", "3"]);
    expect(data.interactions.itemIds).toEqual(["10", "20"]);
    expect(Array.from(data.interactions.users)).toEqual([1, 0, 0]);
    expect(Array.from(data.interactions.ratings!)).toEqual([4, 5, 3]);
    expect(Array.from(data.interactions.timestamps!)).toEqual([100, 50, 60]);
    expect(data.items).toBeUndefined();
  });

  it("accepts CRLF endings, a UTF-8 byte-order mark and trailing blank lines", async () => {
    const quirky = `\uFEFF${U_DATA.replaceAll("\n", "\r\n")}\r\n\r\n\n`;
    const data = loaded(await loadMovieLens100K(folder({ "u.data": quirky })));
    expect(data.interactions.users.length).toBe(3);
    expect(data.interactions.userIds).toEqual(["1", "3"]);
  });

  it("reads latin-1 titles from u.item", async () => {
    const flags = (on: number[]) => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? "1" : "0")).join("|");
    const item = Buffer.from(
      `10|Misérables, Les (1995)|01-Jan-1995||http://x|${flags([8])}\n20|B (1996)|||x|${flags([1, 2])}\n`,
      "latin1",
    );
    const data = loaded(await loadMovieLens100K(folder({ "u.data": U_DATA, "u.item": item })));
    expect(data.items!.titles).toEqual(["Misérables, Les (1995)", "B (1996)"]);
    expect(Array.from(data.items!.categoryIndex!)).toEqual([8, 1, 2]);
    expect(Array.from(data.items!.categoryOffsets!)).toEqual([0, 1, 3]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["an empty file", "", /u\.data: empty file$/],
    ["a file of blank lines", "\n\n", /u\.data: empty file$/],
    ["a wrong number of columns", "1\t2\t3\t4\n1\t2\n", /u\.data:2: expected 4 tab-separated columns, found 2$/],
    [
      "a non-numeric user id",
      "1\t2\t3\t4\nalice\t2\t3\t4\n",
      /u\.data:2: user id must be a non-negative integer id, found "alice"$/,
    ],
    ["a non-numeric item id", "1\t2.5\t3\t4\n", /u\.data:1: item id must be a non-negative integer id, found "2\.5"$/],
    ["a non-numeric rating", "1\t2\tfive\t4\n", /u\.data:1: rating must be a number, found "five"$/],
    ["a NaN rating", "1\t2\tNaN\t4\n", /u\.data:1: rating must be a finite number, found "NaN"$/],
    ["an infinite timestamp", "1\t2\t3\tInfinity\n", /u\.data:1: timestamp must be a finite number, found "Infinity"$/],
    ["a non-numeric timestamp", "1\t2\t3\t2020-01-01\n", /u\.data:1: timestamp must be a number, found "2020-01-01"$/],
    [
      "a rating out of range",
      "1\t2\t3\t4\n1\t3\t6\t4\n",
      /u\.data:2: rating 6 is outside the declared range \[1, 5\]$/,
    ],
    ["a blank line inside the data", "1\t2\t3\t4\n\n1\t3\t4\t5\n", /u\.data:2: blank line inside the data$/],
  ];
  it.each(bad)("refuses %s with file, line and reason", async (_, content, message) => {
    expect(failure(await loadMovieLens100K(folder({ "u.data": content })))).toMatch(message);
  });

  it("refuses a folder without u.data, and a path that is not a folder", async () => {
    const dir = folder({ "ratings.dat": "1::2::3::4\n" });
    expect(failure(await loadMovieLens100K(dir))).toBe(`${dir}: missing u.data: not a ml-100k folder`);
    expect(failure(await loadMovieLens100K(join(dir, "ratings.dat")))).toMatch(/not a directory/);
  });
});

describe("MovieLens 1M / 10M format", () => {
  it("reads ::-separated ratings, genres from movies.dat and users.dat", async () => {
    const dir = folder({
      "ratings.dat": "1::1193::5::978300760\n2::661::3::978302109\n",
      "movies.dat": Buffer.from(
        "1193::One Flew (1975)::Drama\n661::James (1996)::Animation|Children's|Musical\n",
        "latin1",
      ),
      "users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n",
    });
    const data = loaded(await loadMovieLensDat(dir, "ml-1m"));
    expect(data.interactions.itemIds).toEqual(["661", "1193"]);
    expect(data.items!.titles).toEqual(["James (1996)", "One Flew (1975)"]);
    expect(data.items!.categoryNames).toEqual(["Drama", "Animation", "Children's", "Musical"]);
    expect(data.users!.columns.gender).toEqual(["F", "M"]);
    // The key column is the user's identity, not a feature.
    expect(Object.keys(data.users!.columns)).toEqual(["gender", "age", "occupation", "zip"]);
  });

  it("accepts half-star ratings for 10M and refuses them outside [0.5, 5]", async () => {
    expect(loaded(await loadMovieLensDat(folder({ "ratings.dat": "1::2::4.5::9\n" }), "ml-10m")).ratingRange).toEqual([
      0.5, 5,
    ]);
    expect(failure(await loadMovieLensDat(folder({ "ratings.dat": "1::2::0::9\n" }), "ml-10m"))).toMatch(
      /ratings\.dat:1: rating 0 is outside the declared range \[0\.5, 5\]$/,
    );
    expect(failure(await loadMovieLensDat(folder({ "ratings.dat": "1::2::4\n" }), "ml-1m"))).toMatch(
      /ratings\.dat:1: expected 4 '::'-separated columns, found 3$/,
    );
  });
});

describe("MovieLens latest format", () => {
  it("reads the CSV files with headers and quoted titles", async () => {
    const dir = folder({
      "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n",
      "movies.csv":
        'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,"American President, The (1995)",Comedy\n',
    });
    const data = loaded(await loadMovieLensLatest(dir));
    expect(data.items!.titles).toEqual(["Toy Story (1995)", "American President, The (1995)"]);
    expect(Array.from(data.interactions.ratings!)).toEqual([4, 4.5]);
  });

  it("refuses a ratings.csv without its header", async () => {
    expect(failure(await loadMovieLensLatest(folder({ "ratings.csv": "1,1,4.0,964982703\n" })))).toMatch(
      /ratings\.csv:1: expected the header "userId,movieId,rating,timestamp", found "1,1,4\.0,964982703"$/,
    );
  });
});

describe("generic delimited and JSON-lines files", () => {
  it("maps named columns of a delimited file with a header", async () => {
    const path = join(folder({ "clicks.csv": 'ts,visitor,sku\n5,alice,A-1\n7,bob,"B,2"\n' }), "clicks.csv");
    const data = loaded(await loadDelimited(path, { columns: { user: "visitor", item: "sku", timestamp: "ts" } }));
    expect(data.interactions.userIds).toEqual(["alice", "bob"]);
    expect(data.interactions.itemIds).toEqual(["A-1", "B,2"]);
    expect(data.interactions.ratings).toBeUndefined();
    expect(Array.from(data.interactions.timestamps!)).toEqual([5, 7]);
  });

  it("maps column indices of a headerless file and checks the declared rating range", async () => {
    const path = join(folder({ "r.tsv": "u1\ti1\t3\nu2\ti1\t9\n" }), "r.tsv");
    const options = {
      delimiter: "\t",
      header: false,
      columns: { user: 0, item: 1, rating: 2 },
      ratingRange: [1, 5] as [number, number],
    };
    expect(failure(await loadDelimited(path, options))).toMatch(
      /r\.tsv:2: rating 9 is outside the declared range \[1, 5\]$/,
    );
  });

  it("names a missing header column and a short row", async () => {
    const path = join(folder({ "c.csv": "user,item\na,b\nc\n" }), "c.csv");
    expect(failure(await loadDelimited(path, { columns: { user: "user", item: "sku" } }))).toMatch(
      /c\.csv:1: the header has no column "sku" for the item \(columns: user, item\)$/,
    );
    expect(failure(await loadDelimited(path, { columns: { user: "user", item: "item" } }))).toMatch(
      /c\.csv:3: expected 2 columns, found 1$/,
    );
  });

  it("reads JSON lines and reports the line of invalid JSON", async () => {
    const dir = folder({
      "e.jsonl": '{"u":"a","i":1,"r":4}\n{"u":"b","i":2,"r":5}\n',
      "bad.jsonl": '{"u":"a","i":1}\n{"u":\n',
    });
    const data = loaded(await loadJsonLines(join(dir, "e.jsonl"), { columns: { user: "u", item: "i", rating: "r" } }));
    expect(data.interactions.itemIds).toEqual(["1", "2"]);
    expect(failure(await loadJsonLines(join(dir, "bad.jsonl"), { columns: { user: "u", item: "i" } }))).toMatch(
      /bad\.jsonl:2: not valid JSON/,
    );
  });
});

describe("repeated (user, item) rows", () => {
  // User 1 rates item 10 twice (lines 1 and 3); the later rating (line 3, time 90) is newer.
  const repeated = "1\t10\t2\t80\n1\t20\t5\t50\n1\t10\t4\t90\n2\t10\t3\t70\n";

  it("are refused by default, naming the pair and both lines", async () => {
    const message = failure(await loadMovieLens100K(folder({ "u.data": repeated })));
    expect(message).toMatch(/u\.data:3: user "1" has item "10" on lines 1 and 3 \(1 repeated pair in all\)/);
    expect(message).toContain('"duplicates": "keep-last"');
  });

  it("keep-last keeps the latest rating of each pair, rows otherwise in file order", async () => {
    const { interactions } = loaded(await loadMovieLens100K(folder({ "u.data": repeated }), undefined, "keep-last"));
    expect(Array.from(interactions.ratings!)).toEqual([5, 4, 3]);
    expect(Array.from(interactions.timestamps!)).toEqual([50, 90, 70]);
    expect(datasetStats(interactions).duplicates).toBe(0);
  });

  it("keep-last goes by time, not file order, and by file order between equal times", async () => {
    const earlierLast = "1,10,4,90\n1,10,2,80\n1,10,3,80\n";
    const columns = { user: 0, item: 1, rating: 2, timestamp: 3 };
    const data = loaded(
      await loadDelimited(folderFile("r.csv", earlierLast), { columns, header: false, duplicates: "keep-last" }),
    );
    expect(Array.from(data.interactions.ratings!)).toEqual([4]);
    const tie = "1,10,2,80\n1,10,3,80\n";
    const tied = loaded(
      await loadDelimited(folderFile("r.csv", tie), { columns, header: false, duplicates: "keep-last" }),
    );
    expect(Array.from(tied.interactions.ratings!)).toEqual([3]);
  });

  it("keep-all keeps every row (repeat consumption)", async () => {
    const { interactions } = loaded(await loadMovieLens100K(folder({ "u.data": repeated }), undefined, "keep-all"));
    expect(interactions.users.length).toBe(4);
    expect(datasetStats(interactions).duplicates).toBe(1);
  });

  it("follow the spec's policy through loadDataset, and a wrong policy is refused with the valid ones", async () => {
    const dir = folder({ "u.data": repeated });
    expect(failure(await loadDataset({ format: "ml-100k", path: dir })())).toContain("on lines 1 and 3");
    const kept = loaded(await loadDataset({ format: "ml-100k", path: dir, duplicates: "keep-last" })());
    expect(kept.interactions.users.length).toBe(3);
    const decoded = decodeConfig(DatasetSpec, { format: "ml-100k", path: dir, duplicates: "merge" }, "c.json");
    expect(failure(decoded)).toContain('duplicates: expected "refuse" | "keep-last" | "keep-all"');
  });

  it("are found in JSON lines with string ids, whose lines are reported", async () => {
    const lines = '{"u":"a","i":"x"}\n{"u":"b","i":"x"}\n{"u":"a","i":"x"}\n';
    const path = folderFile("events.jsonl", lines);
    expect(failure(await loadJsonLines(path, { columns: { user: "u", item: "i" } }))).toMatch(
      /events\.jsonl:3: user "a" has item "x" on lines 1 and 3/,
    );
  });
});

describe("loadDataset", () => {
  it("dispatches on the format and refuses unknown format names", async () => {
    const dir = folder({ "u.data": U_DATA });
    const data = await loadDataset({ format: "ml-100k", path: dir })();
    expect(E.isRight(data) && data.right.name).toBe("ml-100k");
    expect(failure(parseDatasetFormat("netflix"))).toBe(
      'format: unknown format "netflix" (known: ml-100k, ml-1m, ml-10m, ml-latest, amazon-reviews, delimited, jsonl, synthetic)',
    );
    mkdirSync(join(dir, "empty"));
    expect(failure(await loadDataset({ format: "ml-latest", path: join(dir, "empty") })())).toMatch(
      /missing ratings\.csv/,
    );
  });
});

describe("Amazon reviews format", () => {
  const review = (user: string, asin: string, stars: number, day: number): string =>
    JSON.stringify({ reviewerID: user, asin, overall: stars, unixReviewTime: day * 86_400, reviewText: "ok" });
  const reviews = [review("B", "X2", 5, 3), review("A", "X1", 4, 2), review("A", "X0", 1, 2)].join("\n");

  it("reads the publisher's gzipped JSON lines from the file or its folder, ids in sorted order", async () => {
    const dir = folder({ "reviews_Test_5.json.gz": gzipSync(reviews) });
    for (const path of [dir, join(dir, "reviews_Test_5.json.gz")]) {
      const data = loaded(await loadDataset({ format: "amazon-reviews", path })());
      expect(data.interactions.userIds).toEqual(["A", "B"]);
      expect(data.interactions.itemIds).toEqual(["X0", "X1", "X2"]);
      expect(Array.from(data.interactions.ratings!)).toEqual([5, 4, 1]);
      expect(Array.from(data.interactions.timestamps!)).toEqual([3 * 86_400, 2 * 86_400, 2 * 86_400]);
      expect(data.ratingRange).toEqual([1, 5]);
    }
    expect(loaded(await loadAmazonReviews(join(dir, "reviews_Test_5.json.gz"))).name).toBe("reviews_Test_5");
  });

  it("names the problem: no review file, two of them, a corrupt gzip stream", async () => {
    expect(failure(await loadAmazonReviews(folder({ "notes.txt": "x" })))).toMatch(/no \.json or \.json\.gz/);
    expect(failure(await loadAmazonReviews(folder({ "a.json": reviews, "b.json.gz": gzipSync(reviews) })))).toMatch(
      /more than one review file \(a\.json, b\.json\.gz\)/,
    );
    const corrupt = gzipSync(reviews).subarray(0, 20);
    expect(failure(await loadAmazonReviews(join(folder({ "c.json.gz": corrupt }), "c.json.gz")))).toMatch(
      /c\.json\.gz: cannot read: unexpected end of file/,
    );
  });
});

describe("the real Amazon Musical Instruments 5-core", () => {
  it("has the publisher's counts, and leave-last-out holds one valid and one test item per user", async () => {
    const path = datasetDir("amazon-musical-instruments");
    const data = loaded(await loadDataset({ format: "amazon-reviews", path })());
    const stats = datasetStats(data.interactions);
    expect([stats.interactions, stats.users, stats.items]).toEqual([10_261, 1_429, 900]);
    const split = leaveLastOut(data.interactions);
    expect([split.train.users.length, split.valid.users.length, split.test.users.length]).toEqual([
      7_403, 1_429, 1_429,
    ]);
  });
});
