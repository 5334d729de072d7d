// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

/**
 * out[b·width + j] = P[users[b]] · Q[items[b·width + j]] (+ biases[item] when biases ≠ 0).
 */
export function listScores(
  P: usize,
  Q: usize,
  biases: usize,
  users: usize,
  items: usize,
  rows: i32,
  width: i32,
  dim: i32,
  out: usize,
): void {
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  for (let b = 0; b < rows; b++) {
    const pu = P + <usize>load<i32>(users + ((<usize>b) << 2)) * rowBytes;
    for (let j = 0; j < width; j++) {
      const k = (<usize>(b * width + j)) << 2;
      const item = <usize>load<i32>(items + k);
      const qi = Q + item * rowBytes;
      let sum = f32x4.splat(0);
      let o: usize = 0;
      for (; o < vectorBytes; o += 16) sum = f32x4.add(sum, f32x4.mul(v128.load(pu + o), v128.load(qi + o)));
      let dot: f32 =
        f32x4.extract_lane(sum, 0) +
        f32x4.extract_lane(sum, 1) +
        f32x4.extract_lane(sum, 2) +
        f32x4.extract_lane(sum, 3);
      for (; o < rowBytes; o += 4) dot += load<f32>(pu + o) * load<f32>(qi + o);
      if (biases !== 0) dot += load<f32>(biases + (item << 2));
      store<f32>(out + k, dot);
    }
  }
}
