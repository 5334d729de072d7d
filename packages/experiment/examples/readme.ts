import { decodeConfig, initEngine } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { experimentSpec, resultTable, runExperiment } from "@kdrec/experiment";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();

// An experiment is a value: the same JSON `kdrec run` reads, decoded (unknown keys refused).
const spec = decodeConfig(
  experimentSpec(),
  {
    dataset: { format: "synthetic", options: { seed: 7, users: 100, items: 120 } },
    teacher: { name: "teacher-mf32", dim: 32, learningRate: 0.01, maxEpochs: 5 },
    students: [
      { name: "mf4-nokd", dim: 4, learningRate: 0.01, maxEpochs: 5, strategy: { kind: "none" } },
      {
        name: "mf4-soft-label",
        dim: 4,
        learningRate: 0.01,
        strategy: {
          kind: "one-way",
          loss: { kind: "soft-label", candidates: 20, temperature: 0.5 },
          rounds: 1,
          epochsPerRound: 5,
          finetune: { epochs: 1 },
        },
      },
    ],
  },
  "example",
);
if (E.isLeft(spec)) throw new Error(spec.left.message);

// The caller loads the data; runExperiment trains, evaluates and compares (a TaskEither).
const data = syntheticDataset({ seed: 7, users: 100, items: 120 });
const result = await runExperiment(spec.right, { data })();
if (E.isLeft(result)) throw new Error(result.left.message);
console.log(result.right.models.map((m) => `${m.name} ${m.role}`).join(", "));
console.log(resultTable(result.right).split("\n")[0]);
