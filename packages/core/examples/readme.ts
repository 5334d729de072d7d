import { decodeConfig, formatKdrecError, initEngine, seededRandom, unitInterval } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

const engine = await initEngine()(); // KDREC_BACKEND=cpu forces the fallback
if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
console.log(`backend: ${engine.right.backend}`); // "tensorflow"

const rng = seededRandom(42);
const order = rng.split("epoch-0").shuffle(Int32Array.from([0, 1, 2, 3, 4]));
console.log(`epoch 0 visits users ${order.join(", ")}`); // the same order for seed 42, every run

const Strategy = t.type({ alpha: unitInterval });
const decoded = decodeConfig(Strategy, { alpha: 1.3 }, "run.json");
if (E.isLeft(decoded)) console.error(formatKdrecError(decoded.left));
// run.json: invalid configuration (1 problem)
//   alpha: expected a number in [0, 1], got 1.3
