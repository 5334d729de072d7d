import { initEngine, readTidy } from "@kdrec/core";
import { leaveLastOut, syntheticDataset } from "@kdrec/data";
import { MatrixFactorization } from "@kdrec/students";
import { frozenMatrixFactorization, teacherTopK } from "@kdrec/teachers";

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
