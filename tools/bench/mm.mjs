import { initEngine } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";

await initEngine({ backend: "tensorflow" })();
for (const dim of [8, 64, 128, 8]) {
  const p = tf.randomNormal([943, dim]);
  const q = tf.randomNormal([1682, dim]);
  const f = () => {
    const s = tf.matMul(p, q, false, true);
    const d = s.dataSync();
    s.dispose();
    return d;
  };
  for (let i = 0; i < 10; i++) f();
  const t = [];
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  console.log(`d=${dim} matmul+dataSync median ${t[15].toFixed(2)} min ${t[0].toFixed(2)} ms`);
}
