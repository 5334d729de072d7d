/**
 * A teacher trained elsewhere, given as per-user top-K lists with scores (a text file of
 * `user item score` lines): parsed against the dataset's ids, then served as a {@link Teacher}.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { Teacher, TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

/**
 * Parses `user<TAB or comma>item<TAB or comma>score` lines (an optional `user,item,score` header;
 * blank lines ignored) into per-user lists sorted by score, best first. Ids are the dataset's
 * original ids (`userIds[u]` is user `u`'s). Every user needs a list and every list the same
 * length; an unknown id, a duplicate pair or a non-finite score fails with `source:line`.
 * @category Teachers
 */
export const parseTopKLists = (
  text: string,
  userIds: ReadonlyArray<string>,
  itemIds: ReadonlyArray<string>,
  source: string,
): E.Either<KdrecError, TeacherTargets> => {
  const userIndex = new Map(userIds.map((id, u) => [id, u]));
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const lists: Array<Array<[number, number]>> = userIds.map(() => []);
  const seen = new Set<number>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/^\uFEFF/, "").trim();
    const where = `${source}:${index + 1}`;
    if (line === "" || (index === 0 && /^user[\t,]item[\t,]score$/i.test(line))) continue;
    const fields = line.split(/[\t,]/).map((f) => f.trim());
    if (fields.length !== 3)
      return E.left(kdrecError("INVALID_DATA", `expected 3 fields (user, item, score), got ${fields.length}`, where));
    const [userId, itemId, scoreText] = fields as [string, string, string];
    const user = userIndex.get(userId);
    if (user === undefined) return E.left(kdrecError("INVALID_DATA", `user "${userId}" is not in the dataset`, where));
    const item = itemIndex.get(itemId);
    if (item === undefined) return E.left(kdrecError("INVALID_DATA", `item "${itemId}" is not in the dataset`, where));
    const score = Number(scoreText);
    if (scoreText === "" || !Number.isFinite(score))
      return E.left(kdrecError("INVALID_DATA", `score "${scoreText}" is not a finite number`, where));
    const pair = user * itemIds.length + item;
    if (seen.has(pair))
      return E.left(kdrecError("INVALID_DATA", `user "${userId}" lists item "${itemId}" twice`, where));
    seen.add(pair);
    lists[user]!.push([item, score]);
  }
  const missing = lists.findIndex((l) => l.length === 0);
  if (missing >= 0) {
    const count = lists.filter((l) => l.length === 0).length;
    return E.left(
      kdrecError("INVALID_DATA", `${count} user(s) have no list (the first: "${userIds[missing]}")`, source),
    );
  }
  const k = lists[0]!.length;
  const uneven = lists.findIndex((l) => l.length !== k);
  if (uneven >= 0)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `every user needs the same number of items: user "${userIds[uneven]}" has ${lists[uneven]!.length}, user "${userIds[0]}" has ${k}`,
        source,
      ),
    );
  const items = new Int32Array(userIds.length * k);
  const scores = new Float32Array(userIds.length * k);
  lists.forEach((list, user) => {
    list.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    list.forEach(([item, score], r) => {
      items[user * k + r] = item;
      scores[user * k + r] = score;
    });
  });
  return E.right({ k, items, scores });
};

/**
 * A teacher that knows only each user's top-K list. Listed items score as listed; every other
 * item scores one mean rank gap below the user's last listed score ((first − last)/(K − 1), or 1
 * when K = 1), so soft labels put the listed items above all others, in their order.
 * @category Teachers
 */
export const topKListTeacher = (name: string, lists: TeacherTargets, numItems: number): Teacher => {
  const users = lists.scores.length / lists.k;
  const table = new Float32Array(users * numItems);
  for (let u = 0; u < users; u++) {
    const first = lists.scores[u * lists.k]!;
    const last = lists.scores[u * lists.k + lists.k - 1]!;
    const gap = lists.k > 1 ? (first - last) / (lists.k - 1) : 1;
    table.fill(last - (gap > 0 ? gap : 1), u * numItems, (u + 1) * numItems);
    for (let r = 0; r < lists.k; r++)
      table[u * numItems + lists.items[u * lists.k + r]!] = lists.scores[u * lists.k + r]!;
  }
  return {
    name,
    architecture: "external",
    numItems,
    parameterCount: 0,
    scoreLists: (userIds, itemIds, width) => {
      const out = new Float32Array(itemIds.length);
      for (let k = 0; k < itemIds.length; k++)
        out[k] = table[userIds[Math.floor(k / width)]! * numItems + itemIds[k]!]!;
      return tf.tensor2d(out, [userIds.length, width]);
    },
    scoreAll: (userIds) => {
      const out = new Float32Array(userIds.length * numItems);
      userIds.forEach((u, b) => {
        out.set(table.subarray(u * numItems, (u + 1) * numItems), b * numItems);
      });
      return tf.tensor2d(out, [userIds.length, numItems]);
    },
    dispose: () => undefined,
  };
};
