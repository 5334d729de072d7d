import { initEngine, readTidy } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { frozenModel } from "@kdrec/model-kit";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization, NeuMF, parseTopKLists, teacherTopK, topKListTeacher } from "@kdrec/teachers";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
const split = leaveLastOut(syntheticDataset({ seed: 7, users: 300, items: 500 }).interactions);

// Any trained MF can teach (here an untrained one, to keep the example short).
const wide = MatrixFactorization.create({ users: 300, items: 500, dim: 128, seed: 1 });
const teacher = frozenMatrixFactorization(wide, "mf-128");
console.log(`${teacher.name}: ${teacher.parameterCount} parameters`);

// Scores of per-user item lists (what soft-label and MSE distillation read)...
const lists = readTidy(() => teacher.scoreLists(Int32Array.from([0, 1]), Int32Array.from([10, 20, 30, 40]), 2));
console.log(`user 0 scores items 10 and 20 at ${lists[0]?.toFixed(3)} and ${lists[1]?.toFixed(3)}`);

// ...and the teacher's top-10 unobserved items per user, computed once for a distillation.
const targets = await teacherTopK(teacher, split.train, 10);
console.log(`user 0's top item: ${targets.items[0]}`);
teacher.dispose();

// NeuMF (GMF + MLP) trains through the same model interface, then freezes the same way.
const neumf = NeuMF.create({ users: 300, items: 500, dim: 16, mlpLayers: [32, 16, 8], seed: 1 });
const neumfTeacher = frozenModel(neumf, { name: "neumf", architecture: "neumf", users: 300, items: 500 });
neumf.dispose(); // the frozen teacher keeps its own snapshot
console.log(`${neumfTeacher.name}: ${neumfTeacher.parameterCount} parameters`);
neumfTeacher.dispose();

// A teacher trained elsewhere, as per-user top-K lists (`user item score`, the dataset's ids).
const ids = Array.from({ length: 2 }, (_, u) => String(u + 1));
const file = "user\titem\tscore\n1\t7\t0.9\n1\t3\t0.4\n2\t3\t1.2\n2\t5\t0.1\n";
const lists2 = parseTopKLists(file, ids, ["3", "5", "7"], "teacher.tsv");
if (E.isRight(lists2)) {
  const external = topKListTeacher("elsewhere", lists2.right, 3);
  console.log(
    `user 1's list: ${Array.from(
      readTidy(() => external.scoreAll(Int32Array.from([0]))),
      (x) => x.toFixed(2),
    ).join(" ")}`,
  );
}
