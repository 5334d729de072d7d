import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initEngine } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { DEFAULT_EXPERIMENT, openRunFolder } from "@kdrec/experiment";
import { tensorboardLog } from "@kdrec/report";
import { writeReport } from "@kdrec/report/node";
import * as tf from "@tensorflow/tfjs-node";
import * as E from "fp-ts/lib/Either.js";

await initEngine({ backend: "tensorflow" })();
const out = join(mkdtempSync(join(tmpdir(), "kdrec-report-example-")), "run");

// A run into a folder (what `kdrec run --out` does), with TensorBoard scalars of every epoch.
const spec = {
  ...DEFAULT_EXPERIMENT,
  dataset: { format: "synthetic" as const, options: { seed: 1, users: 60, items: 90 } },
};
const quick = <M extends object>(model: M): M => ({ ...model, maxEpochs: 2, patience: 2 });
const folder = await openRunFolder(out);
if (E.isLeft(folder)) throw new Error(folder.left.message);
const log = tensorboardLog(join(out, "tensorboard"), (dir) => tf.node.summaryFileWriter(dir));
await folder.right.run(
  { ...spec, teacher: quick(spec.teacher), students: [quick(spec.students[0]!)] },
  { data: syntheticDataset(spec.dataset.options), onEvent: log.onEvent },
);
log.close();

// One page over one or several run folders; open it from disk, it loads nothing.
const page = await writeReport([out], join(out, "report.html"));
if (E.isRight(page)) console.log(`wrote ${page.right.slice(page.right.lastIndexOf("/") + 1)}`);
