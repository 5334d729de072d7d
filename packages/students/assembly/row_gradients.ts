// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

/**
 * Carries the gradient of each list score down to its rows: for every (b, j) with g = scoreGrad[k]
 * (k = b·width + j), userGrad[userIndex[b]] += g · Q[items[k]] and itemGrad[itemIndex[k]] +=
 * g · P[users[b]]; biasGrad[itemIndex[k]] += g when biasGrad ≠ 0. The gradient tables start zeroed.
 */
export function rowGradients(
  P: usize,
  Q: usize,
  users: usize,
  items: usize,
  userIndex: usize,
  itemIndex: usize,
  scoreGrad: usize,
  rows: i32,
  width: i32,
  dim: i32,
  userGrad: usize,
  itemGrad: usize,
  biasGrad: usize,
): void {
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  for (let b = 0; b < rows; b++) {
    const bb = (<usize>b) << 2;
    const pu = P + <usize>load<i32>(users + bb) * rowBytes;
    const gu = userGrad + <usize>load<i32>(userIndex + bb) * rowBytes;
    for (let j = 0; j < width; j++) {
      const k = (<usize>(b * width + j)) << 2;
      const g = load<f32>(scoreGrad + k);
      if (g === 0) continue;
      const slot = <usize>load<i32>(itemIndex + k);
      const qi = Q + <usize>load<i32>(items + k) * rowBytes;
      const gi = itemGrad + slot * rowBytes;
      const gv = f32x4.splat(g);
      let o: usize = 0;
      for (; o < vectorBytes; o += 16) {
        v128.store(gu + o, f32x4.add(v128.load(gu + o), f32x4.mul(gv, v128.load(qi + o))));
        v128.store(gi + o, f32x4.add(v128.load(gi + o), f32x4.mul(gv, v128.load(pu + o))));
      }
      for (; o < rowBytes; o += 4) {
        store<f32>(gu + o, load<f32>(gu + o) + g * load<f32>(qi + o));
        store<f32>(gi + o, load<f32>(gi + o) + g * load<f32>(pu + o));
      }
      if (biasGrad !== 0) store<f32>(biasGrad + (slot << 2), load<f32>(biasGrad + (slot << 2)) + g);
    }
  }
}
