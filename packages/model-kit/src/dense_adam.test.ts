import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { denseAdam } from "./dense_adam.js";

describeEachBackend("denseAdam", () => {
  const objective = (w: tf.Variable, b: tf.Variable) => () =>
    tf.tidy(() => tf.add(tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, -2, 3])))), tf.sum(tf.abs(b)))) as tf.Scalar;

  it("takes the same steps as tf.train.adam", () => {
    const start = [tf.tensor1d([0.5, 0.1, -0.3]), tf.tensor2d([[0.2, -0.7]])];
    const [w1, b1, w2, b2] = tf.tidy(() => [...start, ...start].map((x) => tf.variable(x.clone())));
    const ours = denseAdam([w1!, b1!], { learningRate: 0.05 });
    const stock = tf.train.adam(0.05);
    for (let step = 0; step < 25; step++) {
      ours.minimize(objective(w1!, b1!));
      stock.minimize(objective(w2!, b2!), false, [w2!, b2!])?.dispose();
    }
    expect(Array.from(w1!.dataSync())).toEqual(Array.from(w2!.dataSync()).map((x) => expect.closeTo(x, 4)));
    expect(Array.from(b1!.dataSync())).toEqual(Array.from(b2!.dataSync()).map((x) => expect.closeTo(x, 4)));
    ours.dispose();
    stock.dispose();
    tf.dispose([...start, w1!, b1!, w2!, b2!]);
  });

  it("resumes from its state to the same values, and leaves no tensor behind", () => {
    const before = tf.memory().numTensors;
    const run = (interruptAt: number | undefined) => {
      const [w, b] = tf.tidy(() => [
        tf.variable(tf.tensor1d([0.5, 0.1, -0.3])),
        tf.variable(tf.tensor2d([[0.2, -0.7]])),
      ]);
      let adam = denseAdam([w!, b!], { learningRate: 0.05 });
      for (let step = 0; step < 10; step++) {
        if (step === interruptAt) {
          const state = adam.state();
          const weights = [w!.dataSync().slice(), b!.dataSync().slice()];
          adam.dispose();
          tf.tidy(() => {
            w!.assign(tf.zeros([3]));
            b!.assign(tf.zeros([1, 2]));
          });
          adam = denseAdam([w!, b!], { learningRate: 0.05 });
          adam.load(state);
          tf.tidy(() => {
            w!.assign(tf.tensor1d(weights[0]!));
            b!.assign(tf.tensor2d(weights[1]!, [1, 2]));
          });
        }
        adam.minimize(objective(w!, b!));
      }
      const out = [...w!.dataSync(), ...b!.dataSync()];
      adam.dispose();
      tf.dispose([w!, b!]);
      return out;
    };
    expect(run(4)).toEqual(run(undefined));
    expect(tf.memory().numTensors).toBe(before);
  });
});
