/**
 * kdrec's model bundle: everything an app needs to serve one trained model, in one folder.
 *
 * | file | what it holds |
 * | --- | --- |
 * | `model.json` | format and version, name, architecture, role, seed, resolved spec, the model's config, parameter count, the spec's fingerprint, the kdrec version, the data's fingerprint, and the TF.js weights manifest |
 * | `weights.bin` | the weights, float32 little-endian, in manifest order (`tf.io.loadWeights` reads it) |
 * | `items.json` | original item ids in index order, interaction counts (the popularity fallback), titles where the dataset has them |
 * | `users.json` | original user ids in index order |
 * | `histories.json` | each user's items in time order (and times and ratings, where the data has them): what is left out of their recommendations, and what inductive models read |
 *
 * Reading validates every field, refuses a `weights.bin` whose size disagrees with the manifest, a
 * newer format version and non-finite weights, and names the file at fault. Pure: files come from
 * a {@link BundleSource} (a folder in Node, a URL in a browser).
 * @module
 */
import {
  decodeConfig,
  integerInRange,
  type JsonSchema,
  jsonSchemaOf,
  type KdrecError,
  kdrecError,
  strictType,
} from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import type { NamedWeights } from "./tower_scorer.js";

/**
 * The bundle format's name and the version this code writes (and the newest it reads).
 * @category Bundle
 */
export const BUNDLE_FORMAT = { name: "kdrec-model-bundle", version: 1 } as const;

/**
 * The files of a bundle.
 * @category Bundle
 */
export const BUNDLE_FILES = {
  model: "model.json",
  weights: "weights.bin",
  items: "items.json",
  users: "users.json",
  histories: "histories.json",
} as const;

const count = integerInRange(0);
const finiteNumber = new t.Type<number, number, unknown>(
  "a finite number",
  (u): u is number => typeof u === "number" && Number.isFinite(u),
  (u, c) => (typeof u === "number" && Number.isFinite(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const WeightEntry = strictType(
  { name: t.string, shape: t.array(count), dtype: t.literal("float32") },
  {},
  "a weight (name, shape, dtype float32)",
);

/**
 * The codec of `model.json` (strict: an unknown key is refused).
 * @category Bundle
 */
export const ModelJson = strictType(
  {
    format: t.literal(BUNDLE_FORMAT.name),
    formatVersion: integerInRange(1),
    name: t.string,
    architecture: t.string,
    /** `teacher`, `student` or `assistant`: the model's role in the run that trained it. */
    role: t.string,
    seed: t.number,
    /** The model's spec as the run resolved it (architecture defaults, strategy): what built it. */
    spec: t.UnknownRecord,
    /** The model's own config (what its class was created with). */
    config: t.UnknownRecord,
    parameters: count,
    /** The fingerprint of the model's spec (what `--resume` compares). */
    specFingerprint: t.string,
    kdrecVersion: t.string,
    data: strictType(
      { name: t.string, fingerprint: t.string, users: count, items: count, interactions: count },
      {},
      "the data the model was trained on",
    ),
    weightsManifest: t.tuple([
      strictType({ paths: t.tuple([t.literal("weights.bin")]), weights: t.array(WeightEntry) }, {}, "a weights group"),
    ]),
  },
  {},
  "model.json",
);
/**
 * The decoded `model.json`.
 * @category Bundle
 */
export type ModelJson = t.TypeOf<typeof ModelJson>;

/**
 * The JSON Schema of `model.json` (`docs/kdrec-model-bundle.schema.json` is this, generated).
 * @category Bundle
 */
export const modelJsonSchema = (): JsonSchema => ({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "kdrec model bundle: model.json",
  ...jsonSchemaOf(ModelJson),
});

/**
 * The codec of `items.json`.
 * @category Bundle
 */
export const ItemsJson = strictType(
  { ids: t.array(t.string), popularity: t.array(finiteNumber) },
  { titles: t.array(t.string) },
  "items.json",
);
/**
 * The codec of `users.json`.
 * @category Bundle
 */
export const UsersJson = strictType({ ids: t.array(t.string) }, {}, "users.json");
/**
 * The codec of `histories.json`: item indices per user in time order, and their times and ratings
 * where the data has them.
 * @category Bundle
 */
export const HistoriesJson = strictType(
  { items: t.array(t.array(count)) },
  { times: t.array(t.array(finiteNumber)), ratings: t.array(t.array(finiteNumber)) },
  "histories.json",
);

/**
 * A bundle in memory, validated.
 * @category Bundle
 */
export interface ModelBundle {
  readonly model: ModelJson;
  readonly weights: NamedWeights;
  readonly items: {
    readonly ids: ReadonlyArray<string>;
    readonly popularity: Float32Array;
    readonly titles?: ReadonlyArray<string>;
  };
  readonly users: { readonly ids: ReadonlyArray<string> };
  /** Item indices per user, time-ordered, with times and ratings where the data has them. */
  readonly histories: ReadonlyArray<{
    readonly items: Int32Array;
    readonly times?: Float64Array;
    readonly ratings?: Float32Array;
  }>;
}

/**
 * What a bundle is written from: `model.json`'s fields (format fields aside) and the contents.
 * @category Bundle
 */
export type BundleContents = Omit<ModelJson, "format" | "formatVersion" | "weightsManifest"> &
  Omit<ModelBundle, "model">;

/**
 * A bundle's files, by name (text for JSON, bytes for `weights.bin`), ready to be written.
 * @category Bundle
 */
export type BundleFiles = ReadonlyArray<{ readonly name: string; readonly content: string | Uint8Array }>;

/**
 * Encodes a bundle's files (`weights.bin` is written first by writers that care about order: a
 * reader finds `model.json` only once the weights it describes are whole).
 * @example
 * ```ts
 * const files = encodeBundle(contents);
 * for (const { name, content } of files) await writeFile(join(dir, name), content);
 * ```
 * @category Bundle
 */
export const encodeBundle = (contents: BundleContents): BundleFiles => {
  const { weights, items, users, histories, ...meta } = contents;
  const size = weights.reduce((sum, w) => sum + w.values.length, 0);
  const bytes = new Uint8Array(size * 4);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const { values } of weights) for (const v of values) view.setFloat32(at++ * 4, v, true);
  const model: ModelJson = {
    format: BUNDLE_FORMAT.name,
    formatVersion: BUNDLE_FORMAT.version,
    ...meta,
    weightsManifest: [
      {
        paths: ["weights.bin"],
        weights: weights.map(({ name, shape }) => ({ name, shape: [...shape], dtype: "float32" as const })),
      },
    ],
  };
  const json = (value: unknown) => `${JSON.stringify(value)}\n`;
  const withTimes = histories.some((h) => h.times !== undefined);
  const withRatings = histories.some((h) => h.ratings !== undefined);
  return [
    { name: BUNDLE_FILES.weights, content: bytes },
    {
      name: BUNDLE_FILES.items,
      content: json({
        ids: items.ids,
        popularity: Array.from(items.popularity),
        ...(items.titles === undefined ? {} : { titles: items.titles }),
      }),
    },
    { name: BUNDLE_FILES.users, content: json({ ids: users.ids }) },
    {
      name: BUNDLE_FILES.histories,
      content: json({
        items: histories.map((h) => Array.from(h.items)),
        ...(withTimes ? { times: histories.map((h) => Array.from(h.times ?? [])) } : {}),
        ...(withRatings ? { ratings: histories.map((h) => Array.from(h.ratings ?? [])) } : {}),
      }),
    },
    { name: BUNDLE_FILES.model, content: `${JSON.stringify(model, null, 2)}\n` },
  ];
};

/**
 * Where a bundle's files are read from: `read(name)` gives a file's bytes, or a located error.
 * @category Bundle
 */
export interface BundleSource {
  /** Where the bundle is (a folder or a URL), for messages. */
  readonly location: string;
  readonly read: (name: string) => Promise<E.Either<KdrecError, Uint8Array>>;
}

/** Where file `name` of a bundle at `location` (a folder or a URL) is, for reading and messages. */
export const fileIn = (location: string, name: string): string => `${location.replace(/\/+$/, "")}/${name}`;

/** A file's JSON, or a located error. */
const jsonOf = (bytes: Uint8Array, file: string): E.Either<KdrecError, unknown> => {
  try {
    return E.right(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (error) {
    return E.left(kdrecError("INVALID_DATA", `not JSON (${(error as Error).message})`, file));
  }
};

/** A file's JSON value through `codec` (the problems listed, as for configs). */
const decodeFile = <A>(codec: t.Type<A, unknown, unknown>, value: unknown, file: string): E.Either<KdrecError, A> =>
  E.mapLeft((e: KdrecError) => ({
    ...e,
    code: "INVALID_DATA" as const,
    message: e.message.replace(/^invalid configuration/, "invalid file"),
  }))(decodeConfig(codec, value, file));

const parseJson = <A>(codec: t.Type<A, unknown, unknown>, bytes: Uint8Array, file: string): E.Either<KdrecError, A> =>
  E.chain((value: unknown) => decodeFile(codec, value, file))(jsonOf(bytes, file));

/** Checks one decoded file against what `model.json` says. */
const expect = (ok: boolean, message: string, file: string): E.Either<KdrecError, void> =>
  ok ? E.right(undefined) : E.left(kdrecError("INVALID_DATA", message, file));

/**
 * Reads and validates a bundle: every field of every file, the weights' sizes against the
 * manifest, the ids against the data's counts, histories within the catalogue, and every weight
 * finite. A bundle written by a newer kdrec (a higher format version) is refused.
 * @example
 * ```ts
 * const bundle = await readBundle(source);
 * if (E.isRight(bundle)) console.log(bundle.right.model.architecture);
 * ```
 * @category Bundle
 */
export const readBundle = async (source: BundleSource): Promise<E.Either<KdrecError, ModelBundle>> => {
  const at = (file: string) => fileIn(source.location, file);
  const read = async <A>(file: string, codec: t.Type<A, unknown, unknown>): Promise<E.Either<KdrecError, A>> => {
    const bytes = await source.read(file);
    return E.isLeft(bytes) ? bytes : parseJson(codec, bytes.right, at(file));
  };
  // The version first: a newer bundle may have fields this reader would call unknown.
  const rawModel = await source.read(BUNDLE_FILES.model);
  if (E.isLeft(rawModel)) return rawModel;
  const modelValue = jsonOf(rawModel.right, at(BUNDLE_FILES.model));
  if (E.isLeft(modelValue)) return modelValue;
  const header = decodeFile(
    t.type({ format: t.unknown, formatVersion: t.unknown }),
    modelValue.right,
    at(BUNDLE_FILES.model),
  );
  if (E.isLeft(header)) return header;
  const { format, formatVersion } = header.right;
  if (format !== BUNDLE_FORMAT.name)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `not a kdrec model bundle (format ${JSON.stringify(format)}, expected "${BUNDLE_FORMAT.name}")`,
        at(BUNDLE_FILES.model),
      ),
    );
  if (typeof formatVersion === "number" && formatVersion > BUNDLE_FORMAT.version)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `format version ${formatVersion} was written by a newer kdrec; this one reads versions up to ${BUNDLE_FORMAT.version}`,
        at(BUNDLE_FILES.model),
      ),
    );
  const model = decodeFile(ModelJson, modelValue.right, at(BUNDLE_FILES.model));
  if (E.isLeft(model)) return model;
  const { data, weightsManifest } = model.right;

  const rawWeights = await source.read(BUNDLE_FILES.weights);
  if (E.isLeft(rawWeights)) return rawWeights;
  const entries = weightsManifest[0].weights;
  const sizes = entries.map((w) => w.shape.reduce((a, b) => a * b, 1));
  const expectedBytes = sizes.reduce((a, b) => a + b, 0) * 4;
  const bytes = rawWeights.right;
  if (bytes.byteLength !== expectedBytes)
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `${bytes.byteLength} bytes, but the manifest in ${BUNDLE_FILES.model} describes ${expectedBytes} (${bytes.byteLength < expectedBytes ? "truncated" : "too long"})`,
        at(BUNDLE_FILES.weights),
      ),
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights: Array<NamedWeights[number]> = [];
  let offset = 0;
  for (const [k, entry] of entries.entries()) {
    const values = new Float32Array(sizes[k]!);
    for (let j = 0; j < values.length; j++) {
      const v = view.getFloat32(offset, true);
      if (!Number.isFinite(v))
        return E.left(
          kdrecError(
            "INVALID_DATA",
            `weight ${entry.name} holds a non-finite value (${v}) at ${j}`,
            at(BUNDLE_FILES.weights),
          ),
        );
      values[j] = v;
      offset += 4;
    }
    weights.push({ name: entry.name, shape: entry.shape, values });
  }

  const items = await read(BUNDLE_FILES.items, ItemsJson);
  if (E.isLeft(items)) return items;
  const users = await read(BUNDLE_FILES.users, UsersJson);
  if (E.isLeft(users)) return users;
  const histories = await read(BUNDLE_FILES.histories, HistoriesJson);
  if (E.isLeft(histories)) return histories;
  const checks = [
    expect(
      items.right.ids.length === data.items,
      `${items.right.ids.length} ids, but ${BUNDLE_FILES.model} says ${data.items} items`,
      at(BUNDLE_FILES.items),
    ),
    expect(
      items.right.popularity.length === data.items,
      `${items.right.popularity.length} popularity counts for ${data.items} items`,
      at(BUNDLE_FILES.items),
    ),
    expect(
      items.right.titles === undefined || items.right.titles.length === data.items,
      `${items.right.titles?.length} titles for ${data.items} items`,
      at(BUNDLE_FILES.items),
    ),
    expect(
      users.right.ids.length === data.users,
      `${users.right.ids.length} ids, but ${BUNDLE_FILES.model} says ${data.users} users`,
      at(BUNDLE_FILES.users),
    ),
    expect(
      histories.right.items.length === data.users,
      `${histories.right.items.length} histories for ${data.users} users`,
      at(BUNDLE_FILES.histories),
    ),
    expect(
      histories.right.items.every((h) => h.every((i) => i < data.items)),
      `an item index outside the catalogue (${data.items} items)`,
      at(BUNDLE_FILES.histories),
    ),
    ...(["times", "ratings"] as const).map((column) => {
      const values = histories.right[column];
      return expect(
        values === undefined ||
          (values.length === data.users && values.every((row, u) => row.length === histories.right.items[u]!.length)),
        `${column} do not match the histories' lengths`,
        at(BUNDLE_FILES.histories),
      );
    }),
  ];
  const failed = checks.find(E.isLeft);
  if (failed !== undefined) return failed as E.Left<KdrecError>;
  const { times, ratings } = histories.right;
  return E.right({
    model: model.right,
    weights,
    items: {
      ids: items.right.ids,
      popularity: Float32Array.from(items.right.popularity),
      ...(items.right.titles === undefined ? {} : { titles: items.right.titles }),
    },
    users: users.right,
    histories: histories.right.items.map((h, u) => ({
      items: Int32Array.from(h),
      ...(times === undefined ? {} : { times: Float64Array.from(times[u]!) }),
      ...(ratings === undefined ? {} : { ratings: Float32Array.from(ratings[u]!) }),
    })),
  });
};
