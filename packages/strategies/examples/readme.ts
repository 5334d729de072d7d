import {
  describeStrategy,
  lossNames,
  oneWay,
  Strategy,
  softLabel,
  withRatio,
  withTemperature,
} from "@kdrec/strategies";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";

// A strategy is a value: built with combinators...
const distil = pipe(oneWay(softLabel(100)), withRatio(0.8), withTemperature(0.5));
console.log(describeStrategy(distil)); // one-way soft-label (α=0.8, T=0.5, 100 candidates, 5×40 epochs, fine-tune 20)
console.log(lossNames(distil).join(" + ")); // bpr + soft-label-ce

// ...or decoded from a config, with every invalid field reported by its path.
const fromConfig = Strategy.decode({ kind: "one-way", loss: { kind: "ranking", topK: 10 }, alpha: 0.5 });
if (E.isRight(fromConfig)) console.log(describeStrategy(fromConfig.right));
