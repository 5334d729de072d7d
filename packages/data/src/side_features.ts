/**
 * Side information as feature lists: each user's or item's features as indices into one
 * vocabulary (CSR), what feature-aware models embed. Item features are the categories the
 * loaders read (MovieLens genres); user features are one value per categorical column
 * (`gender=M`, `occupation=writer`), numeric columns bucketed by decade (`age=20s`), so that a
 * rare exact value does not get a feature of its own.
 * @module
 */
import type { ItemSideInfo, UserSideInfo } from "./interactions.js";

/**
 * Features per entity: entity `e` has `index[offsets[e] .. offsets[e + 1])`, each a position in `names`.
 * @category Data
 */
export interface FeatureLists {
  readonly names: ReadonlyArray<string>;
  readonly offsets: Int32Array;
  readonly index: Int32Array;
}

/**
 * A dataset's side information as feature lists, what feature-aware models read.
 * @category Data
 */
export interface SideFeatures {
  readonly users?: FeatureLists;
  readonly items?: FeatureLists;
}

/**
 * The items' categories as feature lists over `items` items (none where the side information
 * has none); undefined when the dataset has no categories.
 * @example
 * ```ts
 * itemFeatureLists({ categoryNames: ["Action", "Comedy"], categoryOffsets: Int32Array.of(0, 1, 3), categoryIndex: Int32Array.of(1, 0, 1) }, 2);
 * // { names: ["Action", "Comedy"], offsets: [0, 1, 3], index: [1, 0, 1] }
 * ```
 * @category Data
 */
export const itemFeatureLists = (side: ItemSideInfo | undefined, items: number): FeatureLists | undefined => {
  if (side?.categoryNames === undefined || side.categoryOffsets === undefined || side.categoryIndex === undefined)
    return undefined;
  const known = side.categoryOffsets.length - 1;
  const offsets = new Int32Array(items + 1);
  for (let i = 0; i < items; i++) offsets[i + 1] = i < known ? side.categoryOffsets[i + 1]! : offsets[i]!;
  return { names: side.categoryNames, offsets, index: side.categoryIndex.slice(0, offsets[items]) };
};

/**
 * The users' categorical columns as feature lists (`column=value`; a quantity — a column the side
 * information names as one, or else whose every value is a number — is bucketed by decade,
 * `age=20s`); empty values give no feature. Undefined without
 * user side information.
 * @example
 * ```ts
 * userFeatureLists({ columns: { age: ["24", "53"], gender: ["M", "F"] } }, 2)!.names;
 * // ["age=20s", "gender=M", "age=50s", "gender=F"]
 * ```
 * @category Data
 */
export const userFeatureLists = (side: UserSideInfo | undefined, users: number): FeatureLists | undefined => {
  if (side === undefined) return undefined;
  const columns = Object.entries(side.columns);
  const numeric = new Map(
    columns.map(([name, values]) => [
      name,
      side.quantities === undefined
        ? values.length > 0 && values.every((v) => v === "" || Number.isFinite(Number(v)))
        : side.quantities.includes(name),
    ]),
  );
  const names: string[] = [];
  const ids = new Map<string, number>();
  const offsets = new Int32Array(users + 1);
  const index: number[] = [];
  for (let u = 0; u < users; u++) {
    for (const [name, values] of columns) {
      const value = values[u] ?? "";
      if (value === "") continue;
      const feature = numeric.get(name) ? `${name}=${Math.floor(Number(value) / 10) * 10}s` : `${name}=${value}`;
      let id = ids.get(feature);
      if (id === undefined) {
        id = names.length;
        ids.set(feature, id);
        names.push(feature);
      }
      index.push(id);
    }
    offsets[u + 1] = index.length;
  }
  return { names, offsets, index: Int32Array.from(index) };
};

/**
 * The features of `columns` only (`column=value` names, as {@link userFeatureLists} makes them),
 * renumbered: e.g. a user's age, gender and occupation without the zip code, a column with nearly
 * one value per user.
 * @example
 * ```ts
 * const lists = userFeatureLists({ columns: { age: ["24", "53"], zip: ["85711", "94043"] } }, 2)!;
 * featureColumns(lists, ["age"]).names; // ["age=20s", "age=50s"]
 * ```
 * @category Data
 */
export const featureColumns = (lists: FeatureLists, columns: ReadonlyArray<string>): FeatureLists => {
  const wanted = new Set(columns);
  const renumbered = new Int32Array(lists.names.length).fill(-1);
  const names: string[] = [];
  lists.names.forEach((name, f) => {
    if (!wanted.has(columnOf(name))) return;
    renumbered[f] = names.length;
    names.push(name);
  });
  const entities = lists.offsets.length - 1;
  const offsets = new Int32Array(entities + 1);
  const index: number[] = [];
  for (let e = 0; e < entities; e++) {
    for (let k = lists.offsets[e]!; k < lists.offsets[e + 1]!; k++) {
      const f = renumbered[lists.index[k]!]!;
      if (f >= 0) index.push(f);
    }
    offsets[e + 1] = index.length;
  }
  return { names, offsets, index: Int32Array.from(index) };
};

/**
 * The columns feature lists are made of (`column=value` names), in order of first appearance.
 * @category Data
 */
export const featureColumnNames = (lists: FeatureLists): string[] => [...new Set(lists.names.map(columnOf))];

const columnOf = (name: string): string => name.slice(0, Math.max(0, name.indexOf("=")));

/**
 * A `[entities, features]` matrix whose row `e` spreads 1 evenly over entity `e`'s features
 * (a mean of their rows, by one product); a row with no feature is zero.
 * @category Data
 */
export const featureMeans = (lists: FeatureLists, entities: number): Float32Array => {
  const width = lists.names.length;
  const out = new Float32Array(entities * width);
  for (let e = 0; e < entities; e++) {
    const start = lists.offsets[e] ?? 0;
    const end = lists.offsets[e + 1] ?? start;
    for (let k = start; k < end; k++) out[e * width + lists.index[k]!] = 1 / (end - start);
  }
  return out;
};
