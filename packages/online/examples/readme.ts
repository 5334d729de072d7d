import { syntheticDataset } from "@kdrec/data";
import {
  concatInteractions,
  evaluateWindow,
  incrementalUpdate,
  StreamState,
  streamSplit,
  trainOnPairs,
  userScores,
} from "@kdrec/online";
import { MatrixFactorization } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";

// A stream: the first 70% of the interactions in time order, then 5 windows.
const data = syntheticDataset({ seed: 2, users: 200, items: 300 }).interactions;
const stream = streamSplit(data, { start: 0.7, windows: 5 });
if (E.isLeft(stream)) throw new Error(stream.left.message);
const { initial, windows } = stream.right;

// A student with a row for every user and item of the stream, trained on the initial share.
const [users, items] = [data.userIds.length, data.itemIds.length];
const student = MatrixFactorization.create({
  users,
  items,
  dim: 8,
  seed: 1,
  optimizer: { kind: "adam", learningRate: 0.01 },
});
const initialState = new StreamState(users, items);
initialState.add(initial);
trainOnPairs(student, initial.users, initial.items, initialState, { epochs: 20, seed: 1 });

// Each window: predict it first, then absorb it (new users folded in, a replay sample of the past).
let past = initial;
for (const [w, window] of windows.entries()) {
  const state = new StreamState(users, items);
  state.add(past);
  const quality = evaluateWindow(userScores(student), window, state);
  const cost = incrementalUpdate(student, window, past, state, { epochs: 5, replay: 1, seed: w });
  console.log(
    `window ${w}: NDCG@10 ${quality["ndcg@10"].toFixed(4)} before the update, then ${cost} interactions trained`,
  );
  past = concatInteractions([past, window]);
}
