// What @kdrec/students' whole-batch training kernels share (assembly/batch_steps.ts and
// adam_rows.ts) in C, for the kernels of list_batches.c and bpr_batches.c: the parameter block's
// common fields, the row arithmetic in the WebAssembly kernels' order (four-lane dots, the lanes
// summed in order; no fused multiply-add: ISO C, -ffp-contract=off), AssemblyScript's log1p and
// Math.round, the distinct-row slots and the lazy Adam step that ends every batch. Keep each
// function beside its AssemblyScript original: the tests compare the kernels' tables bit for bit.
#pragma once

// The 64-byte vectors never cross a call (every helper is inlined into the kernels' clones).
#pragma GCC diagnostic ignored "-Wpsabi"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef float f32x4 __attribute__((vector_size(16), aligned(4)));
typedef float f32x16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t i32x4 __attribute__((vector_size(16), aligned(4)));
typedef int32_t i32x16 __attribute__((vector_size(64), aligned(4)));
typedef double f64x2 __attribute__((vector_size(16), aligned(8)));
typedef int64_t i64x2 __attribute__((vector_size(16), aligned(8)));

#define INLINE static inline __attribute__((always_inline))

// The parameter block's fields both kernels read (batch_steps.ts); 9–11 and 28 on are each one's own.
enum {
  P_TABLE = 0, Q_TABLE = 1, BIASES = 2, P_M = 3, P_V = 4, Q_M = 5, Q_V = 6, B_M = 7, B_V = 8,
  STARTS = 12, BATCHES = 13, DIM = 14, RATES = 15, BETA1 = 16, BETA2 = 17, EPSILON = 18, L2 = 19,
  USER_SLOTS = 20, ITEM_SLOTS = 21, DISTINCT_USERS = 22, DISTINCT_ITEMS = 23, USER_GRADIENTS = 24,
  ITEM_GRADIENTS = 25, BIAS_GRADIENTS = 26, LOSSES = 27,
};
// Both kernels' field 9: each row's user.
#define USERS 9

// Loads and stores of any alignment (the arena aligns its arrays; scratch rows need not be).
INLINE f32x4 load4(const float* p) { f32x4 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store4(float* p, f32x4 v) { memcpy(p, &v, sizeof v); }
INLINE f32x16 load16(const float* p) { f32x16 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store16(float* p, f32x16 v) { memcpy(p, &v, sizeof v); }
INLINE f32x4 splat4(float x) { return (f32x4){x, x, x, x}; }
INLINE int64_t bits_of(double x) { int64_t b; memcpy(&b, &x, 8); return b; }
INLINE double double_of(int64_t b) { double x; memcpy(&x, &b, 8); return x; }

// WebAssembly's f32.max / f64.max: NaN if either is, +0 above -0.
INLINE float wasm_maxf(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
INLINE double wasm_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
// f32x4.pmax(a, b): b where a < b, else a (lane by lane).
INLINE f32x4 pmax4(f32x4 a, f32x4 b) {
  const i32x4 less = (i32x4)(a < b);
  return (f32x4)((less & (i32x4)b) | (~less & (i32x4)a));
}

// AssemblyScript's Math.round (round half up).
INLINE double as_round(double x) {
  const double up = ceil(x);
  return up - 0.5 <= x ? up : up - 1.0;
}

// AssemblyScript's Math.log1p (musl's log1p, from FreeBSD's and Sun's fdlibm): glibc's differs in
// the last bit for about one argument in 2,500.
static inline double as_log1p(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  uint64_t u = (uint64_t)bits_of(x);
  uint32_t hx = (uint32_t)(u >> 32);
  int k = 1;
  double c = 0.0, f = 0.0;
  if (hx < 0x3FDA827A || (hx >> 31)) {
    if (hx >= 0xBFF00000) {
      if (x == -1) return x / 0.0;
      return (x - x) / 0.0;
    }
    if ((uint32_t)(hx << 1) < (uint32_t)(0x3CA00000u << 1)) return x;
    if (hx <= 0xBFD2BEC4) {
      k = 0;
      c = 0;
      f = x;
    }
  } else if (hx >= 0x7FF00000)
    return x;
  if (k) {
    u = (uint64_t)bits_of(1 + x);
    uint32_t hu = (uint32_t)(u >> 32);
    hu += 0x3FF00000 - 0x3FE6A09E;
    k = (int32_t)(hu >> 20) - 0x3FF;
    if (k < 54) {
      const double uf = double_of((int64_t)u);
      c = k >= 2 ? 1 - (uf - x) : x - (uf - 1);
      c /= uf;
    } else
      c = 0;
    hu = (hu & 0x000FFFFF) + 0x3FE6A09E;
    u = (uint64_t)hu << 32 | (u & 0xFFFFFFFF);
    f = double_of((int64_t)u) - 1;
  }
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const double r = t2 + t1;
  const double dk = (double)k;
  return s * (hfsq + r) + (dk * ln2_lo + c) - hfsq + f + dk * ln2_hi;
}

#define LOG2E 1.4426950408889634
#define LN2 0.6931471805599453

// batch_steps.ts: expNonPositive.
INLINE double exp_non_positive(double x) {
  if (x < -708) return 0;
  const double k = as_round(x * LOG2E);
  const double r = x - k * LN2;
  double p = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  return p * double_of((int64_t)((int32_t)k + 1023) << 52);
}

// batch_steps.ts: expNonPositive2.
INLINE f64x2 exp_non_positive2(f64x2 x) {
  const f64x2 magic = {6755399441055744.0, 6755399441055744.0};
  const f64x2 shifted = x * LOG2E + magic;
  const f64x2 k = shifted - magic;
  const f64x2 r = x - k * LN2;
  const f64x2 r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const f64x2 p01 = 1 + r;
  const f64x2 p23 = 1.0 / 2 + r * (1.0 / 6);
  const f64x2 p45 = 1.0 / 24 + r * (1.0 / 120);
  const f64x2 p67 = 1.0 / 720 + r * (1.0 / 5040);
  const f64x2 p89 = 1.0 / 40320 + r * (1.0 / 362880);
  const f64x2 low = p01 + r2 * p23;
  const f64x2 high = p45 + r2 * p67;
  const f64x2 p = (low + r4 * high) + r8 * p89;
  const i64x2 scale = ((i64x2)shifted + 1023) << 52;
  return (f64x2)((i64x2)(p * (f64x2)scale) & ~(i64x2)(x < -708));
}

// batch_steps.ts: expNonPositive4, on any number of lanes (each lane on its own).
#define EXP_NON_POSITIVE(NAME, F, I)                                                                    \
  INLINE F NAME(F x) {                                                                                  \
    const float lowest = -87;                                                                           \
    const F clamped = (F)(((I)(x < lowest) & (I)((F){0} + lowest)) | (~(I)(x < lowest) & (I)x));        \
    const F shifted = clamped * (float)LOG2E + 12582912.0f;                                             \
    const F k = shifted - 12582912.0f;                                                                  \
    const F r = (clamped - k * 0.693359375f) - k * (float)-2.1219444e-4;                                \
    const F r2 = r * r, r4 = r2 * r2;                                                                   \
    const F p01 = 1.0f + r;                                                                             \
    const F p23 = 0.5f + r * (float)(1.0 / 6);                                                          \
    const F p45 = (float)(1.0 / 24) + r * (float)(1.0 / 120);                                           \
    const F p67 = (float)(1.0 / 720) + r * (float)(1.0 / 5040);                                         \
    const F p = (p01 + r2 * p23) + r4 * (p45 + r2 * p67);                                               \
    const I scale = ((I)shifted + 127) << 23;                                                           \
    return (F)((I)(p * (F)scale) & ~(I)(x < lowest));                                                   \
  }
EXP_NON_POSITIVE(exp_non_positive4, f32x4, i32x4)
EXP_NON_POSITIVE(exp_non_positive16, f32x16, i32x16)

// batch_steps.ts: dot — four lanes, the lanes summed, then the tail.
INLINE float dot(const float* pu, const float* qi, int dim, int vector) {
  f32x4 sum = splat4(0);
  int o = 0;
  for (; o < vector; o += 4) sum = sum + load4(pu + o) * load4(qi + o);
  float d = sum[0] + sum[1] + sum[2] + sum[3];
  for (; o < dim; o++) d += pu[o] * qi[o];
  return d;
}

// batch_steps.ts: dot4 — four rows, each sum in dot's order.
INLINE void dot4(const float* pu, const float* q0, const float* q1, const float* q2, const float* q3, int dim,
                 int vector, float* out) {
  f32x4 s0 = splat4(0), s1 = splat4(0), s2 = splat4(0), s3 = splat4(0);
  int o = 0;
  for (; o < vector; o += 4) {
    const f32x4 p = load4(pu + o);
    s0 = s0 + p * load4(q0 + o);
    s1 = s1 + p * load4(q1 + o);
    s2 = s2 + p * load4(q2 + o);
    s3 = s3 + p * load4(q3 + o);
  }
  float d0 = s0[0] + s0[1] + s0[2] + s0[3];
  float d1 = s1[0] + s1[1] + s1[2] + s1[3];
  float d2 = s2[0] + s2[1] + s2[2] + s2[3];
  float d3 = s3[0] + s3[1] + s3[2] + s3[3];
  for (; o < dim; o++) {
    const float p = pu[o];
    d0 += p * q0[o];
    d1 += p * q1[o];
    d2 += p * q2[o];
    d3 += p * q3[o];
  }
  out[0] = d0;
  out[1] = d1;
  out[2] = d2;
  out[3] = d3;
}

// batch_steps.ts: addScaled — into += g · row; element-wise, so sixteen lanes at a time.
INLINE void add_scaled(float* into, const float* row, float g, int dim) {
  int o = 0;
  for (; o + 16 <= dim; o += 16) store16(into + o, load16(into + o) + g * load16(row + o));
  for (; o + 4 <= dim; o += 4) store4(into + o, load4(into + o) + g * load4(row + o));
  for (; o < dim; o++) into[o] = into[o] + g * row[o];
}

// batch_steps.ts: addScaled4 — into += g0·r0, then g1·r1, g2·r2, g3·r3, element-wise.
INLINE void add_scaled4(float* into, const float* r0, const float* r1, const float* r2, const float* r3, float g0,
                        float g1, float g2, float g3, int dim) {
  int o = 0;
  for (; o + 16 <= dim; o += 16) {
    f32x16 x = load16(into + o) + g0 * load16(r0 + o);
    x = x + g1 * load16(r1 + o);
    x = x + g2 * load16(r2 + o);
    store16(into + o, x + g3 * load16(r3 + o));
  }
  for (; o + 4 <= dim; o += 4) {
    f32x4 x = load4(into + o) + g0 * load4(r0 + o);
    x = x + g1 * load4(r1 + o);
    x = x + g2 * load4(r2 + o);
    store4(into + o, x + g3 * load4(r3 + o));
  }
  for (; o < dim; o++) {
    float x = into[o] + g0 * r0[o];
    x += g1 * r1[o];
    x += g2 * r2[o];
    into[o] = x + g3 * r3[o];
  }
}

// batch_steps.ts: slotOf — the row's place among the batch's distinct rows, a new one (its
// gradient zeroed) returned as -1 - slot.
INLINE int32_t slot_of(int32_t* slots, int32_t* distinct, int32_t count, int32_t row, float* gradients, int dim) {
  const int32_t slot = slots[row];
  if (slot >= 0) return slot;
  slots[row] = count;
  distinct[count] = row;
  memset(gradients + (int64_t)count * dim, 0, sizeof(float) * (size_t)dim);
  return -1 - count;
}

// adam_rows.ts: adamRows. The first `width & ~3` columns by the vector formula (sixteen lanes,
// then four), the rest by the scalar one, whose v term multiplies in another order.
INLINE void adam_rows(float* values, float* m, float* v, const int32_t* row_ids, const float* gradients, int32_t count,
                      int width, float lr, float beta1, float beta2, float epsilon, float decay) {
  const int vector = width & ~3;
  const float keep1 = 1 - beta1, keep2 = 1 - beta2;
  for (int32_t r = 0; r < count; r++) {
    const int64_t at = (int64_t)row_ids[r] * width;
    float *x0 = values + at, *m0 = m + at, *v0 = v + at;
    const float* g0 = gradients + (int64_t)r * width;
    int o = 0;
#define ADAM_STEP(LOAD, STORE, F)                                \
  {                                                              \
    const F x = LOAD(x0 + o);                                    \
    const F g = LOAD(g0 + o) + decay * x;                        \
    const F mi = beta1 * LOAD(m0 + o) + keep1 * g;               \
    const F vi = beta2 * LOAD(v0 + o) + keep2 * (g * g);         \
    STORE(m0 + o, mi);                                           \
    STORE(v0 + o, vi);                                           \
    F root = vi;                                                 \
    for (unsigned l = 0; l < sizeof(F) / sizeof(float); l++) root[l] = sqrtf(vi[l]); \
    STORE(x0 + o, x - (lr * mi) / (root + epsilon));             \
  }
    for (; o + 16 <= vector; o += 16) ADAM_STEP(load16, store16, f32x16)
    for (; o < vector; o += 4) ADAM_STEP(load4, store4, f32x4)
#undef ADAM_STEP
    for (; o < width; o++) {
      const float x = x0[o];
      const float g = g0[o] + decay * x;
      const float mi = beta1 * m0[o] + keep1 * g;
      const float vi = beta2 * v0[o] + keep2 * g * g;
      m0[o] = mi;
      v0[o] = vi;
      x0[o] = x - (lr * mi) / (sqrtf(vi) + epsilon);
    }
  }
}

// list_batches.ts: softplusAndSigma — softplus(margin) and σ(margin), stably, in f64
// (bpr_batches.ts writes the same out in its loop).
INLINE double softplus_and_sigma(double margin, double* sigma) {
  const double small = exp_non_positive(-fabs(margin));
  *sigma = margin >= 0 ? 1 / (1 + small) : small / (1 + small);
  return wasm_max(margin, 0) + as_log1p(small);
}

// ---- the end of every batch --------------------------------------------------------------------

// The tables and scratch of one kernel call, as pointers into the arena.
typedef struct {
  float *P, *Q, *biases, *user_gradients, *item_gradients, *bias_gradients;
  int32_t *user_slots, *item_slots, *distinct_users, *distinct_items, *users;
  int dim, vector;
} Batch;


INLINE void free_slots(int32_t* slots, const int32_t* distinct, int32_t count) {
  for (int32_t r = 0; r < count; r++) slots[distinct[r]] = -1;
}

#define WORD(field) (((const uint32_t*)(memory + params))[field])
#define RATE(field) (((const float*)(memory + params))[field])
#define AT(type, field) (WORD(field) == 0 ? (type*)NULL : (type*)(memory + WORD(field)))

INLINE void adam_on_batch_rows(uint8_t* memory, uint32_t params, const Batch* b, int32_t batch, int32_t rows,
                               int32_t user_count, int32_t item_count) {
  const float beta1 = RATE(BETA1), beta2 = RATE(BETA2), epsilon = RATE(EPSILON);
  const float lr = AT(float, RATES)[batch];
  const float decay = (float)((2 * (double)RATE(L2)) / (double)rows);
  adam_rows(b->P, AT(float, P_M), AT(float, P_V), b->distinct_users, b->user_gradients, user_count, b->dim, lr, beta1,
            beta2, epsilon, decay);
  adam_rows(b->Q, AT(float, Q_M), AT(float, Q_V), b->distinct_items, b->item_gradients, item_count, b->dim, lr, beta1,
            beta2, epsilon, decay);
  if (b->biases != NULL)
    adam_rows(b->biases, AT(float, B_M), AT(float, B_V), b->distinct_items, b->bias_gradients, item_count, 1, lr,
              beta1, beta2, epsilon, 0);
  free_slots(b->user_slots, b->distinct_users, user_count);
  free_slots(b->item_slots, b->distinct_items, item_count);
}
