/**
 * Run configs that tests share (plain data: decoding and running them is the test's, through
 * `@kdrec/experiment`, which this package does not import).
 * @module
 */

/**
 * The smallest run that writes a tower bundle worth serving: an MF-16 teacher and a d = 11 tower
 * with recency, `epochs` each, on the synthetic data. Its models are `mf16` and `tower11`.
 */
export const tinyTowerRun = (epochs: number) => {
  const quick = { maxEpochs: epochs, patience: epochs, batchSize: 512 };
  return {
    dataset: { format: "synthetic" },
    teacher: { name: "mf16", dim: 16, ...quick },
    students: [{ name: "tower11", architecture: "tower", dim: 11, positions: true, ...quick }],
  };
};
