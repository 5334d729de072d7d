/**
 * A served model: original ids in and out. The recommender maps ids to indices, leaves out what
 * the user has seen, asks the model's item scorer for scores, picks the top K and answers with
 * ids, scores and titles; where the model cannot score (an unknown user of a model with per-user
 * tables, no history at all) the popularity fallback answers, and the answer says so.
 * @module
 */
import { integerInRange, type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { BUNDLE_FILES, type BundleSource, fileIn, type ModelBundle, type ModelJson, readBundle } from "./bundle.js";
import { type History, type ItemScorer, topK } from "./item_scorer.js";
import { featureMfScorer, mfScorer } from "./mf_scorer.js";
import { bundleSource } from "./sources.js";
import { towerScorer } from "./tower_scorer.js";

/**
 * A request: a known user, or a history of original item ids (time order), or both (the history
 * then adds to the user's own). `k` defaults to 10 and is clamped to the catalogue.
 * @category Serving
 */
export interface RecommendRequest {
  readonly user?: string;
  readonly history?: ReadonlyArray<string>;
  /** Seconds of each history item (sessions are cut by time where the model reads them). */
  readonly times?: ReadonlyArray<number>;
  readonly k?: number;
  /** Further items to leave out. */
  readonly exclude?: ReadonlyArray<string>;
}

/**
 * One recommended item.
 * @category Serving
 */
export interface Recommendation {
  readonly item: string;
  readonly score: number;
  readonly title?: string;
}

/**
 * An answer: the items best first, who answered, and what the request held that the model did
 * not know.
 * @category Serving
 */
export interface RecommendResult {
  readonly model: string;
  readonly items: ReadonlyArray<Recommendation>;
  /** `model`: scored by the model; `popularity`: the fallback answered (see `fallbackReason`). */
  readonly source: "model" | "popularity";
  readonly fallbackReason?: string;
  /** History items not in the catalogue (ignored). */
  readonly unknownItems?: ReadonlyArray<string>;
}

/**
 * How much each item of a history weighed in the recommendation (models that attend over a
 * history): the weights sum to 1; `because` is the most attended item; `reasons` gives, for each
 * item asked about, the history item that raised its score most ("because you watched X").
 * @category Serving
 */
export interface Explanation {
  readonly weights: ReadonlyArray<{ readonly item: string; readonly title?: string; readonly weight: number }>;
  readonly because: { readonly item: string; readonly title?: string };
  readonly reasons: ReadonlyArray<{
    readonly item: string;
    readonly because?: { readonly item: string; readonly title?: string };
  }>;
}

/**
 * A loaded model, ready for requests.
 * @category Serving
 */
export interface Recommender {
  readonly name: string;
  readonly architecture: string;
  /** The bundle's `model.json`. */
  readonly info: ModelJson;
  /** Items in the catalogue (the largest useful k). */
  readonly items: number;
  /** The catalogue: original ids in index order, interaction counts, titles where known. */
  readonly catalogue: ModelBundle["items"];
  readonly users: number;
  /** The known users' original ids, in index order. */
  readonly userIds: ReadonlyArray<string>;
  /** Whether the model reads histories (unknown users are then served from them). */
  readonly readsHistories: boolean;
  recommend(request: RecommendRequest): E.Either<KdrecError, RecommendResult>;
  /**
   * The attention over a history, and for each of `items` (e.g. the recommended ones) the history
   * item behind it; an error for models that do not attend over a history.
   */
  explain(
    history: ReadonlyArray<string>,
    options?: { readonly times?: ReadonlyArray<number>; readonly items?: ReadonlyArray<string> },
  ): E.Either<KdrecError, Explanation>;
  dispose(): void;
}

/**
 * Turns a validated bundle into its model's item scorer (one per architecture).
 * @category Serving
 */
export type ScorerFactory = (
  bundle: ModelBundle,
) => E.Either<KdrecError, ItemScorer> | Promise<E.Either<KdrecError, ItemScorer>>;

const count = integerInRange(1);
const MfConfig = t.type({ users: count, items: count, dim: count });
const TowerConfig = t.intersection([
  t.type({ items: count, dim: count }),
  t.partial({ attention: count, positions: t.boolean, groups: count, perGroup: count, sessionGap: t.number }),
]);

/** The bundle's config as `codec`, or an error naming `model.json`. */
const configOf = <A>(bundle: ModelBundle, codec: t.Type<A, unknown, unknown>): E.Either<KdrecError, A> =>
  codec.is(bundle.model.config)
    ? E.right(bundle.model.config as A)
    : E.left(kdrecError("INVALID_DATA", `config is not a ${bundle.model.architecture} config`, "model.json"));

/**
 * The architectures served as plain typed-array arithmetic (no TF.js): MF (gradient-trained and
 * ALS students save as `mf`), MF with side information (`mf-features`) and the hierarchical tower. Others (NeuMF, multi-task, SASRec,
 * BERT4Rec) run through their TF.js models: `tensorScorers()` of `@kdrec/experiment` adds them.
 * @category Serving
 */
export const TYPED_ARRAY_SCORERS: Readonly<Record<string, ScorerFactory>> = {
  mf: (bundle) =>
    E.chain((config: t.TypeOf<typeof MfConfig>) => mfScorer(config, bundle.weights))(configOf(bundle, MfConfig)),
  "mf-features": (bundle) =>
    E.chain((config: t.TypeOf<typeof MfConfig>) => featureMfScorer(config, bundle.weights))(configOf(bundle, MfConfig)),
  tower: (bundle) =>
    E.chain((config: t.TypeOf<typeof TowerConfig>) =>
      towerScorer(config, bundle.weights, (user) => bundle.histories[user]!),
    )(configOf(bundle, TowerConfig)),
};

/**
 * Options of {@link loadRecommender}.
 * @category Serving
 */
export interface LoadOptions {
  /** Scorers by architecture, beside (and over) {@link TYPED_ARRAY_SCORERS}. */
  readonly scorers?: Readonly<Record<string, ScorerFactory>>;
  /** Refuse the bundle unless it holds this architecture. */
  readonly architecture?: string;
  /** The largest k a request may ask (default: the catalogue; larger asks are clamped). */
  readonly maxK?: number;
}

/**
 * A recommender over a validated bundle and its scorer.
 * @category Serving
 */
export const bundleRecommender = (
  bundle: ModelBundle,
  scorer: ItemScorer,
  maxK = Number.POSITIVE_INFINITY,
): Recommender => {
  const { model, items, users, histories } = bundle;
  const itemIndex = new Map(items.ids.map((id, i) => [id, i]));
  const userIndex = new Map(users.ids.map((id, u) => [id, u]));
  const catalogue = items.ids.length;
  const recommendation = (i: number, score: number): Recommendation => ({
    item: items.ids[i]!,
    score,
    ...(items.titles === undefined ? {} : { title: items.titles[i]! }),
  });
  /** Original ids to indices; ids the catalogue does not know are returned apart. */
  const toHistory = (
    ids: ReadonlyArray<string>,
    times?: ReadonlyArray<number>,
  ): E.Either<KdrecError, { history: History; unknown: string[] }> => {
    if (times !== undefined && times.length !== ids.length)
      return E.left(kdrecError("INVALID_ARGUMENT", `${times.length} times for ${ids.length} items`, "times"));
    const known: number[] = [];
    const knownTimes: number[] = [];
    const unknown: string[] = [];
    ids.forEach((id, j) => {
      const i = itemIndex.get(id);
      if (i === undefined) unknown.push(id);
      else {
        known.push(i);
        if (times !== undefined) knownTimes.push(times[j]!);
      }
    });
    return E.right({
      history: {
        items: Int32Array.from(known),
        ...(times === undefined ? {} : { times: Float64Array.from(knownTimes) }),
      },
      unknown,
    });
  };
  const popular = (k: number, excluded: Uint8Array) => topK(items.popularity, k, excluded);

  return {
    name: model.name,
    architecture: model.architecture,
    info: model,
    items: catalogue,
    catalogue: items,
    users: users.ids.length,
    userIds: users.ids,
    readsHistories: scorer.scoreHistory !== undefined,
    recommend: (request) => {
      const asked = request.k ?? 10;
      if (!(Number.isInteger(asked) && asked > 0))
        return E.left(kdrecError("INVALID_ARGUMENT", `k must be a positive integer, got ${asked}`, "k"));
      const k = Math.min(asked, catalogue, maxK);
      const given = toHistory(request.history ?? [], request.times);
      if (E.isLeft(given)) return given;
      const { history, unknown } = given.right;
      const user = request.user === undefined ? undefined : userIndex.get(request.user);
      const own = user === undefined ? undefined : histories[user]!;
      // A mask, not a Set: a request's whole cost is a few microseconds of arithmetic.
      const excluded = new Uint8Array(catalogue);
      for (const i of own?.items ?? []) excluded[i] = 1;
      for (const i of history.items) excluded[i] = 1;
      for (const id of request.exclude ?? []) {
        const i = itemIndex.get(id);
        if (i !== undefined) excluded[i] = 1;
      }
      const answer = (
        picked: { items: Int32Array; scores: Float32Array },
        source: RecommendResult["source"],
        fallbackReason?: string,
      ): RecommendResult => ({
        model: model.name,
        items: Array.from(picked.items, (i, r) => recommendation(i, picked.scores[r]!)),
        source,
        ...(fallbackReason === undefined ? {} : { fallbackReason }),
        ...(unknown.length === 0 ? {} : { unknownItems: unknown }),
      });
      const combined = (): History =>
        own === undefined
          ? history
          : {
              items: Int32Array.from([...own.items, ...history.items]),
              ...(own.times !== undefined && history.times !== undefined
                ? { times: Float64Array.from([...own.times, ...history.times]) }
                : {}),
            };
      let scores: Float32Array | undefined;
      if (user !== undefined && history.items.length === 0 && scorer.scoreUser !== undefined)
        scores = scorer.scoreUser(user);
      else if (scorer.scoreHistory !== undefined && (user !== undefined || history.items.length > 0))
        scores = scorer.scoreHistory(combined());
      else if (user !== undefined && scorer.scoreUser !== undefined) scores = scorer.scoreUser(user);
      if (scores !== undefined) return E.right(answer(topK(scores, k, excluded), "model"));
      const reason =
        request.user !== undefined && user === undefined
          ? history.items.length > 0
            ? `unknown user ${JSON.stringify(request.user)}, and ${model.architecture} cannot read a history`
            : `unknown user ${JSON.stringify(request.user)}`
          : history.items.length > 0
            ? `${model.architecture} cannot read a history (it has per-user parameters)`
            : "no user and no known history item";
      return E.right(answer(popular(k, excluded), "popularity", reason));
    },
    explain: (ids, options = {}) => {
      if (scorer.explain === undefined)
        return E.left(
          kdrecError("INVALID_ARGUMENT", `${model.architecture} does not attend over a history`, "explain"),
        );
      const given = toHistory(ids, options.times);
      if (E.isLeft(given)) return given;
      const { history } = given.right;
      if (history.items.length === 0)
        return E.left(kdrecError("INVALID_ARGUMENT", "no history item is in the catalogue", "history"));
      const asked = (options.items ?? []).filter((id) => itemIndex.has(id));
      const { weights, reasons } = scorer.explain(
        history,
        Int32Array.from(asked, (id) => itemIndex.get(id)!),
      );
      const named = (i: number) => ({
        item: items.ids[i]!,
        ...(items.titles === undefined ? {} : { title: items.titles[i]! }),
      });
      const most = weights.indexOf(Math.max(...weights));
      return E.right({
        weights: Array.from(history.items, (i, j) => ({ ...named(i), weight: weights[j]! })),
        because: named(history.items[most]!),
        reasons: asked.map((item, r) => ({
          item,
          ...(reasons[r]! < 0 ? {} : { because: named(history.items[reasons[r]!]!) }),
        })),
      });
    },
    dispose: () => scorer.dispose?.(),
  };
};

/**
 * Loads a bundle written by `kdrec run` (`DIR/models/<name>-seed<k>/`) from a folder (Node) or a
 * URL, validates it and returns its recommender. MF (and ALS) and the tower are served as
 * typed-array arithmetic; other architectures need their scorers in `options.scorers`.
 * @example
 * ```ts
 * const recommender = await loadRecommender("runs/quick/models/mf8-soft-label-seed1");
 * if (E.isRight(recommender)) {
 *   const top = recommender.right.recommend({ user: "196", k: 10 });
 *   if (E.isRight(top)) for (const { item, title, score } of top.right.items) console.log(item, title, score);
 * }
 * ```
 * @category Serving
 */
export const loadRecommender = async (
  location: string | URL | BundleSource,
  options: LoadOptions = {},
): Promise<E.Either<KdrecError, Recommender>> => {
  const source = typeof location === "object" && "read" in location ? location : bundleSource(location);
  const bundle = await readBundle(source);
  if (E.isLeft(bundle)) return bundle;
  const { architecture } = bundle.right.model;
  const where = fileIn(source.location, BUNDLE_FILES.model);
  if (options.architecture !== undefined && options.architecture !== architecture)
    return E.left(kdrecError("INVALID_DATA", `holds a ${architecture} model, expected ${options.architecture}`, where));
  const scorers = { ...TYPED_ARRAY_SCORERS, ...options.scorers };
  const factory = scorers[architecture];
  if (factory === undefined)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `no scorer for architecture "${architecture}" (known: ${Object.keys(scorers).join(", ")}; ` +
          "tensorScorers() of @kdrec/experiment serves the TF.js architectures)",
        where,
      ),
    );
  const scorer = await factory(bundle.right);
  return E.map((s: ItemScorer) => bundleRecommender(bundle.right, s, options.maxK))(
    E.mapLeft((e: KdrecError) => ({ ...e, location: `${where}: ${e.location}` }))(scorer),
  );
};

/**
 * Every known user's top `k` by the model, each user's history left out, as item indices into
 * the catalogue with their scores (`items[u·k + r]`, best first): what `kdrec targets export`
 * writes as a teacher's targets. Fails when the model cannot give a user a full list.
 * @example
 * ```ts
 * const top = allUsersTopK(recommender, 50);
 * if (E.isRight(top)) console.log(top.right.items.length); // users × 50
 * ```
 * @category Serving
 */
export const allUsersTopK = (
  recommender: Recommender,
  k: number,
): E.Either<KdrecError, { readonly k: number; readonly items: Int32Array; readonly scores: Float32Array }> => {
  if (!(Number.isInteger(k) && k > 0 && k < recommender.items))
    return E.left(
      kdrecError("INVALID_ARGUMENT", `must be a whole number below the catalogue's ${recommender.items} items`, "k"),
    );
  const itemIndex = new Map(recommender.catalogue.ids.map((id, i) => [id, i]));
  const items = new Int32Array(recommender.users * k);
  const scores = new Float32Array(recommender.users * k);
  for (const [u, user] of recommender.userIds.entries()) {
    const result = recommender.recommend({ user, k });
    if (E.isLeft(result)) return result;
    if (result.right.source !== "model" || result.right.items.length !== k)
      return E.left(kdrecError("INVALID_DATA", `the model gave user "${user}" no full top ${k}`, recommender.name));
    result.right.items.forEach((entry, r) => {
      items[u * k + r] = itemIndex.get(entry.item)!;
      scores[u * k + r] = entry.score;
    });
  }
  return E.right({ k, items, scores });
};

/**
 * An answer as a text table (rank, item id, score, title), one line per item: what
 * `kdrec recommend` prints.
 * @example
 * ```ts
 * formatRecommendations({ model: "mf8", source: "model", items: [{ item: "50", score: 4.2, title: "Star Wars (1977)" }] });
 * // "rank  item  score     title\n   1  50      4.2000  Star Wars (1977)"
 * ```
 * @category Serving
 */
export const formatRecommendations = (result: RecommendResult): string => {
  const width = Math.max(4, ...result.items.map((r) => r.item.length));
  const rows = result.items.map(
    (r, rank) =>
      `${String(rank + 1).padStart(4)}  ${r.item.padEnd(width)}  ${r.score.toFixed(4).padStart(8)}  ${r.title ?? ""}`,
  );
  return [`rank  ${"item".padEnd(width)}  score     title`, ...rows].join("\n");
};
