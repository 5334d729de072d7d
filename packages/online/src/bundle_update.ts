/**
 * An incremental update of a shipped model: an MF model bundle (what `kdrec run` writes and
 * `@kdrec/serving` loads) absorbs new events — ids never seen before grow its id maps and tables —
 * and becomes a new bundle, optionally distilling online from a teacher bundle refreshed on the
 * same events. What `kdrec update` runs.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { Interactions } from "@kdrec/data";
import type { BundleContents, ModelBundle } from "@kdrec/serving";
import { MatrixFactorization, type MatrixFactorizationConfig } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";
import { incrementalUpdate, type UpdateOptions } from "./incremental.js";
import { StreamState } from "./stream.js";

/**
 * One new interaction, by original ids (and its time in seconds, where known).
 * @category Online
 */
export interface BundleEvent {
  readonly user: string;
  readonly item: string;
  readonly time?: number;
}

/**
 * Interactions (as a loader reads an events file) as events by original ids, in file order.
 * @example
 * ```ts
 * const events = bundleEvents(loaded.interactions); // [{ user: "944", item: "50", time: … }, …]
 * ```
 * @category Online
 */
export const bundleEvents = (data: Interactions): BundleEvent[] =>
  Array.from(data.users, (u, r) => ({
    user: data.userIds[u]!,
    item: data.itemIds[data.items[r]!]!,
    ...(data.timestamps === undefined ? {} : { time: data.timestamps[r]! }),
  }));

/**
 * What an update did.
 * @category Online
 */
export interface BundleUpdateReport {
  readonly events: number;
  readonly newUsers: number;
  readonly newItems: number;
  /** Interactions processed by training (rows × epochs; the teacher's included). */
  readonly trained: number;
}

/** The MF model a bundle holds, with its tables. */
const modelOf = (bundle: ModelBundle, role: string): E.Either<KdrecError, MatrixFactorization> => {
  if (bundle.model.architecture !== "mf")
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        `updates matrix-factorization bundles (architecture "mf"); this one is "${bundle.model.architecture}"`,
        role,
      ),
    );
  const config = bundle.model.config as unknown as MatrixFactorizationConfig;
  const model = MatrixFactorization.create(config);
  const weight = (name: string) => bundle.weights.find((w) => w.name === name)?.values;
  const [users, items, biases] = [weight("user_factors"), weight("item_factors"), weight("item_biases")];
  if (users === undefined || items === undefined)
    return E.left(kdrecError("INVALID_DATA", "an mf bundle without user_factors and item_factors", role));
  model.userFactors.set(users);
  model.itemFactors.set(items);
  if (biases !== undefined && model.itemBiases !== undefined) model.itemBiases.set(biases);
  return E.right(model);
};

/** A bundle's contents after an update: new ids, tables, histories and counts. */
const updatedContents = (
  bundle: ModelBundle,
  model: MatrixFactorization,
  ids: { readonly users: ReadonlyArray<string>; readonly items: ReadonlyArray<string> },
  histories: BundleContents["histories"],
  interactions: number,
): BundleContents => {
  const { format: _format, formatVersion: _version, weightsManifest: _manifest, ...meta } = bundle.model;
  const { users, items, dim } = model.config;
  const popularity = new Float32Array(items);
  for (const history of histories) for (const item of history.items) popularity[item]! += 1;
  const titles = bundle.items.titles;
  return {
    ...meta,
    config: { ...bundle.model.config, users, items },
    parameters: model.parameterCount,
    data: { ...bundle.model.data, users, items, interactions },
    weights: [
      { name: "user_factors", shape: [users, dim], values: model.userFactors.slice() },
      { name: "item_factors", shape: [items, dim], values: model.itemFactors.slice() },
      ...(model.itemBiases === undefined
        ? []
        : [{ name: "item_biases", shape: [items], values: model.itemBiases.slice() }]),
    ],
    // A new item's title is its id until a catalogue says more.
    items: {
      ids: ids.items,
      popularity,
      ...(titles === undefined ? {} : { titles: [...titles, ...ids.items.slice(titles.length)] }),
    },
    users: { ids: ids.users },
    histories,
  };
};

/**
 * Updates an MF bundle with `events` without retraining: ids new to the bundle get rows (users
 * folded in by least squares, items initialised and trained from their first events), then a few
 * epochs over the events and a replay sample of the bundle's histories; with `teacher` (an MF
 * bundle over the same users and items, e.g. the run's teacher), the teacher is refreshed the
 * same way first and the student distils from it online. Returns the new bundle's contents (and
 * the refreshed teacher's), ready for `writeBundle`. Histories keep their times (an event without
 * one takes its user's latest); ratings are not kept.
 * @example
 * ```ts
 * const updated = updateBundle(bundle, [{ user: "944", item: "50" }, { user: "1", item: "1683" }], { epochs: 5 });
 * if (E.isRight(updated)) await writeBundle("runs/updated", updated.right.student);
 * ```
 * @category Online
 */
export const updateBundle = (
  bundle: ModelBundle,
  events: ReadonlyArray<BundleEvent>,
  options: Omit<UpdateOptions, "teacher"> & { readonly teacher?: ModelBundle } = {},
): E.Either<
  KdrecError,
  { readonly student: BundleContents; readonly teacher?: BundleContents; readonly report: BundleUpdateReport }
> => {
  if (events.length === 0) return E.left(kdrecError("INVALID_ARGUMENT", "no events to update with", "events"));
  const student = modelOf(bundle, "--model");
  if (E.isLeft(student)) return student;
  const teacherBundle = options.teacher;
  const teacher = teacherBundle === undefined ? undefined : modelOf(teacherBundle, "--teacher");
  if (teacher !== undefined && E.isLeft(teacher)) return teacher;
  if (
    teacherBundle !== undefined &&
    (teacherBundle.users.ids.join("\n") !== bundle.users.ids.join("\n") ||
      teacherBundle.items.ids.join("\n") !== bundle.items.ids.join("\n"))
  )
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        "the teacher's users and items differ from the student's (train both in one run)",
        "--teacher",
      ),
    );
  // Ids: the bundle's, then the new ones in order of first appearance.
  const userIds = [...bundle.users.ids];
  const itemIds = [...bundle.items.ids];
  const userIndex = new Map(userIds.map((id, u) => [id, u]));
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const indexOf = (map: Map<string, number>, ids: string[], id: string) => {
    let index = map.get(id);
    if (index === undefined) {
      index = ids.length;
      ids.push(id);
      map.set(id, index);
    }
    return index;
  };
  const eventUsers = Int32Array.from(events, (e) => indexOf(userIndex, userIds, e.user));
  const eventItems = Int32Array.from(events, (e) => indexOf(itemIndex, itemIds, e.item));
  const [users, items] = [userIds.length, itemIds.length];
  const grownStudent = student.right.grown(users, items);
  const grownTeacher =
    teacher === undefined ? undefined : (teacher as E.Right<MatrixFactorization>).right.grown(users, items);

  // The past: every bundle history, for the state (what each user has seen) and the replay sample.
  const pastUsers: number[] = [];
  const pastItems: number[] = [];
  bundle.histories.forEach((history, u) => {
    for (const item of history.items) {
      pastUsers.push(u);
      pastItems.push(item);
    }
  });
  const asInteractions = (u: ArrayLike<number>, i: ArrayLike<number>): Interactions => ({
    users: Int32Array.from(u),
    items: Int32Array.from(i),
    userIds,
    itemIds,
  });
  const past = asInteractions(pastUsers, pastItems);
  const fresh = asInteractions(eventUsers, eventItems);
  const stateFor = () => {
    const state = new StreamState(users, items);
    state.add(past);
    return state;
  };
  const { teacher: _teacherBundle, ...training } = options;
  let trained = 0;
  if (grownTeacher !== undefined) trained += incrementalUpdate(grownTeacher, fresh, past, stateFor(), training);
  trained += incrementalUpdate(grownStudent, fresh, past, stateFor(), {
    ...training,
    ...(grownTeacher === undefined ? {} : { teacher: { model: grownTeacher } }),
  });

  // Histories: the bundle's, each user's events appended (in the events' order).
  const addedBy = new Map<number, Array<{ item: number; time: number | undefined }>>();
  events.forEach((e, k) => {
    const list = addedBy.get(eventUsers[k]!) ?? [];
    list.push({ item: eventItems[k]!, time: e.time });
    addedBy.set(eventUsers[k]!, list);
  });
  const histories = Array.from({ length: users }, (_, u) => {
    const old = bundle.histories[u];
    const added = addedBy.get(u) ?? [];
    const items = Int32Array.of(...(old?.items ?? []), ...added.map((a) => a.item));
    const oldTimes = old?.times;
    const withTimes = bundle.histories.some((h) => h.times !== undefined);
    if (!withTimes) return { items };
    const last = oldTimes !== undefined && oldTimes.length > 0 ? oldTimes[oldTimes.length - 1]! : 0;
    return { items, times: Float64Array.of(...(oldTimes ?? []), ...added.map((a) => a.time ?? last)) };
  });
  const interactions = past.users.length + events.length;
  return E.right({
    student: updatedContents(bundle, grownStudent, { users: userIds, items: itemIds }, histories, interactions),
    ...(grownTeacher === undefined || teacherBundle === undefined
      ? {}
      : {
          teacher: updatedContents(
            teacherBundle,
            grownTeacher,
            { users: userIds, items: itemIds },
            histories,
            interactions,
          ),
        }),
    report: {
      events: events.length,
      newUsers: users - bundle.users.ids.length,
      newItems: items - bundle.items.ids.length,
      trained,
    },
  });
};
