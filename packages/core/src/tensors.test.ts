import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import { initEngine } from "./engine.js";
import { checkTensorLeak, readTidy, readTidyAsync } from "./tensors.js";
import { testBackends } from "./test-backends.js";

describe.each(testBackends())("tensor helpers [%s]", (backend) => {
  beforeAll(async () => {
    const engine = await initEngine({ backend })();
    if (E.isLeft(engine)) throw new Error(engine.left.message);
  });

  it("readTidy returns the values and leaves no tensor behind", async () => {
    const before = tf.memory().numTensors;
    const values = readTidy(() => tf.square(tf.range(0, 5)));
    expect(Array.from(values)).toEqual([0, 1, 4, 9, 16]);
    expect(Array.from(await readTidyAsync(() => tf.mul(tf.ones([3]), 2)))).toEqual([2, 2, 2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("readTidy disposes even when the read fails", () => {
    const before = tf.memory().numTensors;
    expect(() =>
      readTidy(() => {
        const x = tf.ones([2]);
        x.dispose(); // reading a disposed tensor throws
        return x;
      }),
    ).toThrow(/disposed/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("checkTensorLeak passes clean work and reports leaks with counts and a label", async () => {
    const clean = await checkTensorLeak(() => tf.tidy(() => tf.add(tf.ones([4]), 1)), "clean");
    expect(E.isRight(clean)).toBe(true);

    let kept: tf.Tensor | undefined;
    const leaky = await checkTensorLeak(async () => {
      kept = tf.add(tf.ones([4]), 1); // tf.ones and the sum: two live tensors
    }, "epoch 3");
    expect(E.isLeft(leaky) && leaky.left).toMatchObject({
      code: "TENSOR_LEAK",
      location: "epoch 3",
      message: expect.stringMatching(/^2 tensor\(s\) left undisposed/),
    });
    kept?.dispose();
    expect(E.isRight(await checkTensorLeak(() => void tf.keep(tf.zeros([1])), "kept on purpose", 1))).toBe(true);
  });
});
