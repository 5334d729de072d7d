// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

/**
 * Lazy Adam on the listed rows of a table: for row r = rowIds[k] and gradient row k,
 * g = grad + decay·x; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; x −= lr·m / (√v + ε).
 * `lr` already carries the bias correction.
 */
export function adamRows(
  values: usize,
  m: usize,
  v: usize,
  rowIds: usize,
  gradients: usize,
  count: i32,
  width: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  decay: f32,
): void {
  const rowBytes = (<usize>width) << 2;
  const vectorBytes = (<usize>(width & ~3)) << 2;
  const keep1: f32 = 1 - beta1;
  const keep2: f32 = 1 - beta2;
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const k1 = f32x4.splat(keep1);
  const k2 = f32x4.splat(keep2);
  const rate = f32x4.splat(lr);
  const eps = f32x4.splat(epsilon);
  const wd = f32x4.splat(decay);
  for (let r = 0; r < count; r++) {
    const at = <usize>load<i32>(rowIds + ((<usize>r) << 2)) * rowBytes;
    const x0 = values + at;
    const m0 = m + at;
    const v0 = v + at;
    const g0 = gradients + <usize>r * rowBytes;
    let o: usize = 0;
    for (; o < vectorBytes; o += 16) {
      const x = v128.load(x0 + o);
      const g = f32x4.add(v128.load(g0 + o), f32x4.mul(wd, x));
      const mi = f32x4.add(f32x4.mul(b1, v128.load(m0 + o)), f32x4.mul(k1, g));
      const vi = f32x4.add(f32x4.mul(b2, v128.load(v0 + o)), f32x4.mul(k2, f32x4.mul(g, g)));
      v128.store(m0 + o, mi);
      v128.store(v0 + o, vi);
      v128.store(x0 + o, f32x4.sub(x, f32x4.div(f32x4.mul(rate, mi), f32x4.add(f32x4.sqrt(vi), eps))));
    }
    for (; o < rowBytes; o += 4) {
      const x = load<f32>(x0 + o);
      const g = load<f32>(g0 + o) + decay * x;
      const mi = beta1 * load<f32>(m0 + o) + keep1 * g;
      const vi = beta2 * load<f32>(v0 + o) + keep2 * g * g;
      store<f32>(m0 + o, mi);
      store<f32>(v0 + o, vi);
      store<f32>(x0 + o, x - (lr * mi) / (Mathf.sqrt(vi) + epsilon));
    }
  }
}
