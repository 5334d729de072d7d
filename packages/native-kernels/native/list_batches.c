// The list kernel of @kdrec/students (assembly/list_batches.ts and the parts of batch_steps.ts and
// adam_rows.ts it calls) for Node, on the same memory: the WebAssembly arena's bytes, the same
// parameter block. It computes the same values to the bit — every sum in the WebAssembly kernel's
// order, no fused multiply-add (ISO C: -ffp-contract=off), AssemblyScript's log1p (musl's) and
// Math.round — and is faster where native code is: element-wise passes (the gradients' rows, Adam,
// the exponentials) sixteen lanes at a time, the teacher's scores prefetched a row ahead. The tests compare the two
// kernels' tables and losses bit for bit; keep each function beside its AssemblyScript original.
#include "list_batches.h"

// The 64-byte vectors never cross a call (every helper is inlined into the kernel's clones).
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

// The parameter block's fields (batch_steps.ts, list_batches.ts).
enum {
  P_TABLE = 0, Q_TABLE = 1, BIASES = 2, P_M = 3, P_V = 4, Q_M = 5, Q_V = 6, B_M = 7, B_V = 8,
  USERS = 9, LISTS = 10, TEACHER = 11, STARTS = 12, BATCHES = 13, DIM = 14, RATES = 15,
  BETA1 = 16, BETA2 = 17, EPSILON = 18, L2 = 19, USER_SLOTS = 20, ITEM_SLOTS = 21,
  DISTINCT_USERS = 22, DISTINCT_ITEMS = 23, USER_GRADIENTS = 24, ITEM_GRADIENTS = 25,
  BIAS_GRADIENTS = 26, LOSSES = 27, WIDTH = 28, CATALOGUE = 29, ROW_SCRATCH = 30, TERMS = 31,
  TEACHER_P = 32, TEACHER_Q = 33, TEACHER_BIASES = 34, TEACHER_DIM = 35, BATCH_SCRATCH = 36,
};
enum { BPR = 0, SOFT_LABEL = 1, SQUARED_ERROR = 2, RANKING = 3, PLACKETT_LUCE = 4, SOFT_BCE = 5 };
#define TERM_WORDS 8
#define PAD (-1e30f)

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
static double as_log1p(double x) {
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

// ---- list_batches.ts ---------------------------------------------------------------------------

INLINE void add_f32(float* array, int j, double value) { array[j] = (float)((double)array[j] + value); }

INLINE double softplus_and_sigma(double margin, double* sigma) {
  const double small = exp_non_positive(-fabs(margin));
  *sigma = margin >= 0 ? 1 / (1 + small) : small / (1 + small);
  return wasm_max(margin, 0) + as_log1p(small);
}

static double sum_of_logs(const double* values, int count) {
  int64_t exponents = 0;
  double product = 1;
  for (int r = 0; r < count; r++) {
    const int64_t bits = bits_of(values[r]);
    exponents += ((bits >> 52) & 0x7ff) - 1023;
    product *= double_of((bits & 0xfffffffffffffLL) | 0x3ff0000000000000LL);
    if ((r & 511) == 511) {
      const int64_t product_bits = bits_of(product);
      exponents += ((product_bits >> 52) & 0x7ff) - 1023;
      product = double_of((product_bits & 0xfffffffffffffLL) | 0x3ff0000000000000LL);
    }
  }
  return (double)exponents * LN2 + as_log1p(product - 1);
}

INLINE void list_dots(const float* user, const float* table, int dim, int vector, const int32_t* list, int width,
                      float* out) {
  int j = 0;
  for (; j + 3 < width; j += 4)
    dot4(user, table + (int64_t)list[j] * dim, table + (int64_t)list[j + 1] * dim, table + (int64_t)list[j + 2] * dim,
         table + (int64_t)list[j + 3] * dim, dim, vector, out + j);
  for (; j < width; j++) out[j] = dot(user, table + (int64_t)list[j] * dim, dim, vector);
}

INLINE void add_list_rows(float* into, const float* table, int dim, const int32_t* list, int width,
                          const float* weights) {
  int j = 0;
  for (; j + 3 < width; j += 4)
    add_scaled4(into, table + (int64_t)list[j] * dim, table + (int64_t)list[j + 1] * dim,
                table + (int64_t)list[j + 2] * dim, table + (int64_t)list[j + 3] * dim, weights[j], weights[j + 1],
                weights[j + 2], weights[j + 3], dim);
  for (; j < width; j++)
    if (weights[j] != 0) add_scaled(into, table + (int64_t)list[j] * dim, weights[j], dim);
}

INLINE double bpr_row(const float* scores, float* gradient, int positive, int negative, double scale) {
  double sigma;
  const double loss = softplus_and_sigma((double)scores[negative] - (double)scores[positive], &sigma);
  const double g = scale * sigma;
  add_f32(gradient, negative, g);
  add_f32(gradient, positive, -g);
  return loss;
}

INLINE float max_lanes(f32x4 lanes) {
  return wasm_maxf(wasm_maxf(lanes[0], lanes[1]), wasm_maxf(lanes[2], lanes[3]));
}

INLINE double sum_lanes(f32x4 lanes) {
  return (double)lanes[0] + (double)lanes[1] + (double)lanes[2] + (double)lanes[3];
}

// to = e^{from − max} over `floats` (a multiple of 4), the lanes' sums in four-lane order; sixteen
// lanes computed at a time, added four by four.
INLINE f32x4 exp_row(const float* from, float max, float* to, int floats) {
  f32x4 sums = splat4(0);
  int o = 0;
  for (; o + 16 <= floats; o += 16) {
    const f32x16 e = exp_non_positive16(load16(from + o) - max);
    store16(to + o, e);
    sums = sums + (f32x4){e[0], e[1], e[2], e[3]};
    sums = sums + (f32x4){e[4], e[5], e[6], e[7]};
    sums = sums + (f32x4){e[8], e[9], e[10], e[11]};
    sums = sums + (f32x4){e[12], e[13], e[14], e[15]};
  }
  for (; o < floats; o += 4) {
    const f32x4 e = exp_non_positive4(load4(from + o) - max);
    store4(to + o, e);
    sums = sums + e;
  }
  return sums;
}

INLINE double soft_label_row(const float* scores, const float* teacher_scores, float* gradient, float* scratch,
                             int first, int count, double inverse_t, double scale) {
  const int padded = (count + 3) & ~3;
  float* student_scaled = scratch;
  float* teacher_exp = scratch + padded;
  float* student_exp = teacher_exp + padded;
  const float inverse_ts = (float)inverse_t;
  f32x4 student_maxes = splat4(PAD), teacher_maxes = splat4(PAD);
  for (int o = 0; o < padded; o += 4) {
    const i32x4 inside = (i32x4){o, o + 1, o + 2, o + 3} < count;
    const f32x4 s = (f32x4)((inside & (i32x4)(load4(scores + first + o) * inverse_ts)) | (~inside & (i32x4)splat4(PAD)));
    const f32x4 v =
        (f32x4)((inside & (i32x4)(load4(teacher_scores + first + o) * inverse_ts)) | (~inside & (i32x4)splat4(PAD)));
    store4(student_scaled + o, s);
    store4(teacher_exp + o, v);
    student_maxes = pmax4(student_maxes, s);
    teacher_maxes = pmax4(teacher_maxes, v);
  }
  const float student_max = max_lanes(student_maxes);
  const float teacher_max = max_lanes(teacher_maxes);
  const double student_sum = sum_lanes(exp_row(student_scaled, student_max, student_exp, padded));
  const double teacher_sum = sum_lanes(exp_row(teacher_exp, teacher_max, teacher_exp, padded));
  const f32x4 offsets = splat4((float)((double)student_max + as_log1p(student_sum - 1)));
  const f32x4 per_teacher_sums = splat4((float)(1 / teacher_sum));
  const f32x4 per_student_sums = splat4((float)(1 / student_sum));
  const f32x4 scales = splat4((float)scale);
  f32x4 losses = splat4(0);
  for (int o = 0; o < padded; o += 4) {
    const f32x4 soft = load4(teacher_exp + o) * per_teacher_sums;
    const f32x4 probability = load4(student_exp + o) * per_student_sums;
    losses = losses - soft * (load4(student_scaled + o) - offsets);
    float* at = gradient + first + o;
    const f32x4 g = load4(at) + scales * (probability - soft);
    const int left = count - o;
    if (left >= 4)
      store4(at, g);
    else {
      at[0] = g[0];
      if (left > 1) at[1] = g[1];
      if (left > 2) at[2] = g[2];
    }
  }
  return sum_lanes(losses);
}

INLINE double squared_error_row(const float* scores, const float* teacher_scores, float* gradient, int width,
                                double scale) {
  double total = 0;
  for (int j = 0; j < width; j++) {
    const double difference = (double)scores[j] - (double)teacher_scores[j];
    total += difference * difference;
    add_f32(gradient, j, 2 * scale * difference);
  }
  return total;
}

INLINE double ranking_row(const float* scores, float* gradient, int first, int k, int negative,
                          const double* rank_weights, double scale) {
  const double negative_score = (double)scores[negative];
  double negative_gradient = 0, total = 0, sigma;
  for (int r = 0; r < k; r++) {
    const double w = rank_weights[r];
    total += w * softplus_and_sigma(negative_score - (double)scores[first + r], &sigma);
    const double g = scale * w * sigma;
    add_f32(gradient, first + r, -g);
    negative_gradient += g;
  }
  add_f32(gradient, negative, negative_gradient);
  return total;
}

INLINE double plackett_luce_row(const float* scores, float* gradient, double* exps, double* denominators, int first,
                                int k, int below, double scale) {
  const int n = k + below;
  double shift = -INFINITY;
  for (int j = 0; j < n; j++) shift = wasm_max(shift, (double)scores[first + j]);
  int j = 0;
  for (; j + 1 < n; j += 2) {
    const f64x2 pair = {(double)scores[first + j], (double)scores[first + j + 1]};
    const f64x2 e = exp_non_positive2(pair - shift);
    exps[j] = e[0];
    exps[j + 1] = e[1];
  }
  if (j < n) exps[j] = exp_non_positive((double)scores[first + j] - shift);
  double tail = 0;
  for (int t = k; t < n; t++) tail += exps[t];
  double suffix = tail;
  for (int r = k - 1; r >= 0; r--) {
    suffix += exps[r];
    denominators[r] = suffix;
  }
  double total = sum_of_logs(denominators, k);
  double inverse_sum = 0;
  for (int r = 0; r < k; r++) {
    total += shift - (double)scores[first + r];
    inverse_sum += 1 / denominators[r];
    add_f32(gradient, first + r, scale * (exps[r] * inverse_sum - 1));
  }
  for (int t = k; t < n; t++) add_f32(gradient, first + t, scale * exps[t] * inverse_sum);
  return total;
}

INLINE double soft_bce_row(const float* scores, const float* teacher_scores, float* gradient, int first, int count,
                           double inverse_t, double scale) {
  double total = 0, sigma;
  for (int j = 0; j < count; j++) {
    const double x = (double)scores[first + j] * inverse_t;
    softplus_and_sigma((double)teacher_scores[first + j] * inverse_t, &sigma);
    const double target = sigma;
    total += softplus_and_sigma(x, &sigma) - x * target;
    add_f32(gradient, first + j, scale * (sigma - target));
  }
  return total;
}

// The tables and scratch of one kernel call, as pointers into the arena.
typedef struct {
  float *P, *Q, *biases, *user_gradients, *item_gradients, *bias_gradients;
  int32_t *user_slots, *item_slots, *distinct_users, *distinct_items, *users;
  int dim, vector;
} Batch;

INLINE int32_t scatter_item_gradients(const Batch* b, const int32_t* list, int width, int32_t item_count,
                                      const float* gradient, const float* pu) {
  int32_t count = item_count;
  for (int j = 0; j < width; j++) {
    int32_t slot = slot_of(b->item_slots, b->distinct_items, count, list[j], b->item_gradients, b->dim);
    if (slot < 0) {
      slot = -1 - slot;
      if (b->biases != NULL) b->bias_gradients[slot] = 0;
      count++;
    }
    const float gj = gradient[j];
    if (gj == 0) continue;
    add_scaled(b->item_gradients + (int64_t)slot * b->dim, pu, gj, b->dim);
    if (b->biases != NULL) b->bias_gradients[slot] = b->bias_gradients[slot] + gj;
  }
  return count;
}

INLINE int32_t count_item_entries(const Batch* b, const int32_t* list, int width, int32_t item_count, int32_t* slots,
                                  int32_t* cursors) {
  int32_t count = item_count;
  for (int j = 0; j < width; j++) {
    int32_t slot = slot_of(b->item_slots, b->distinct_items, count, list[j], b->item_gradients, b->dim);
    const int fresh = slot < 0;
    if (fresh) {
      slot = -1 - slot;
      count++;
    }
    cursors[slot + 1] = fresh ? 1 : cursors[slot + 1] + 1;
    slots[j] = slot;
  }
  return count;
}

INLINE void add_item_gradients(const Batch* b, int32_t first, int32_t rows, int width, int32_t item_count,
                               const int32_t* entry_slots, const float* entry_gradients, int32_t* cursors) {
  const int64_t entries = (int64_t)rows * width;
  int32_t* sorted_users = (int32_t*)(entry_gradients + entries);
  float* sorted_gradients = (float*)(sorted_users + entries);
  cursors[0] = 0;
  for (int32_t s = 0; s < item_count; s++) cursors[s + 1] = cursors[s + 1] + cursors[s];
  int64_t e = 0;
  for (int32_t r = 0; r < rows; r++) {
    const int32_t u = b->users[first + r];
    for (int j = 0; j < width; j++, e++) {
      int32_t* at = cursors + entry_slots[e];
      const int32_t place = *at;
      *at = place + 1;
      sorted_users[place] = u;
      sorted_gradients[place] = entry_gradients[e];
    }
  }
  int32_t start = 0;
  for (int32_t s = 0; s < item_count; s++) {
    const int32_t end = cursors[s];
    const int32_t count = end - start;
    add_list_rows(b->item_gradients + (int64_t)s * b->dim, b->P, b->dim, sorted_users + start, count,
                  sorted_gradients + start);
    if (b->biases != NULL) {
      float sum = 0;
      for (int32_t k = 0; k < count; k++) sum += sorted_gradients[start + k];
      b->bias_gradients[s] = sum;
    }
    start = end;
  }
}

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

// The teacher's scores of a row's items, asked for ahead of the row (its lookups are cache misses).
INLINE void prefetch_teacher_row(const float* teacher_row, const int32_t* list, int width) {
  for (int j = 0; j < width; j++) __builtin_prefetch(teacher_row + list[j]);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void kdrec_list_batches(uint8_t* memory,
                                                                                    uint32_t params) {
  const float* teacher = AT(float, TEACHER);
  const float* teacher_p = AT(float, TEACHER_P);
  const float* teacher_q = AT(float, TEACHER_Q);
  const float* teacher_biases = AT(float, TEACHER_BIASES);
  const int teacher_dim = (int)WORD(TEACHER_DIM);
  const int teacher_vector = teacher_dim & ~3;
  const int32_t* starts = AT(int32_t, STARTS);
  const int32_t batches = (int32_t)WORD(BATCHES);
  const int width = (int)WORD(WIDTH);
  const int64_t catalogue = WORD(CATALOGUE);
  const int32_t* lists = AT(int32_t, LISTS);
  float* losses = AT(float, LOSSES);
  const double* terms = AT(double, TERMS);
  const int term_count = (int)terms[0];
  const Batch b = {AT(float, P_TABLE),        AT(float, Q_TABLE),        AT(float, BIASES),
                   AT(float, USER_GRADIENTS), AT(float, ITEM_GRADIENTS), AT(float, BIAS_GRADIENTS),
                   AT(int32_t, USER_SLOTS),   AT(int32_t, ITEM_SLOTS),   AT(int32_t, DISTINCT_USERS),
                   AT(int32_t, DISTINCT_ITEMS), AT(int32_t, USERS),      (int)WORD(DIM),
                   (int)WORD(DIM) & ~3};
  // The row scratch as list_batches.ts lays it out (only its f32 rows and the f64 rows matter here).
  uint8_t* scratch = memory + WORD(ROW_SCRATCH);
  float* scores = (float*)scratch;
  float* row_gradient = scores + width;
  float* teacher_scores = row_gradient + width;
  const uintptr_t wide_at = ((uintptr_t)(WORD(ROW_SCRATCH) + 12u * (uint32_t)width) + 7) & ~(uintptr_t)7;
  double* wide = (double*)(memory + wide_at);
  double* wide_too = wide + width;
  double sums[KDREC_LIST_MAX_TERMS];
  int32_t* cursors = AT(int32_t, BATCH_SCRATCH);
  const int gather = cursors != NULL;
  int32_t* entry_slots = gather ? cursors + catalogue + 1 : NULL;
  const int32_t total_rows = starts[batches];
  for (int32_t batch = 0; batch < batches; batch++) {
    const int32_t first = starts[batch], end = starts[batch + 1], rows = end - first;
    float* entry_gradients = gather ? (float*)(entry_slots + (int64_t)rows * width) : NULL;
    int32_t user_count = 0, item_count = 0;
    for (int k = 0; k < term_count; k++) sums[k] = 0;
    for (int32_t r = first; r < end; r++) {
      const int32_t u = b.users[r];
      const int32_t* list = lists + (int64_t)r * width;
      if (teacher != NULL && r + 1 < total_rows)
        prefetch_teacher_row(teacher + (int64_t)b.users[r + 1] * catalogue, list + width, width);
      int32_t us = slot_of(b.user_slots, b.distinct_users, user_count, u, b.user_gradients, b.dim);
      if (us < 0) {
        us = -1 - us;
        user_count++;
      }
      const float* pu = b.P + (int64_t)u * b.dim;
      float* gradient = gather ? entry_gradients + (int64_t)(r - first) * width : row_gradient;
      int32_t* slots = gather ? entry_slots + (int64_t)(r - first) * width : NULL;
      list_dots(pu, b.Q, b.dim, b.vector, list, width, scores);
      if (teacher_p != NULL)
        list_dots(teacher_p + (int64_t)u * teacher_dim, teacher_q, teacher_dim, teacher_vector, list, width,
                  teacher_scores);
      if (teacher != NULL) {
        const float* teacher_row = teacher + (int64_t)u * catalogue;
        for (int j = 0; j < width; j++) teacher_scores[j] = teacher_row[list[j]];
      }
      for (int j = 0; j < width; j++) {
        const int32_t item = list[j];
        if (b.biases != NULL) scores[j] = scores[j] + b.biases[item];
        gradient[j] = 0;
        if (teacher == NULL && teacher_biases != NULL) teacher_scores[j] = teacher_scores[j] + teacher_biases[item];
      }
      for (int k = 0; k < term_count; k++) {
        const double* term = terms + 1 + k * TERM_WORDS;
        const int kind = (int)term[0];
        const double weight = term[1];
        if (weight == 0) continue;
        const int a = (int)term[2], c = (int)term[3];
        const double scale = weight / (double)rows;
        double loss = 0;
        if (kind == BPR)
          loss = bpr_row(scores, gradient, a, c, scale);
        else if (kind == SOFT_LABEL) {
          const double t = term[4];
          loss = soft_label_row(scores, teacher_scores, gradient, (float*)wide, a, c, 1 / t, scale * t);
        } else if (kind == SQUARED_ERROR)
          loss = squared_error_row(scores, teacher_scores, gradient, width, scale / (double)width);
        else if (kind == RANKING)
          loss = ranking_row(scores, gradient, a, c, (int)term[4], terms + (int)term[5], scale);
        else if (kind == PLACKETT_LUCE)
          loss = plackett_luce_row(scores, gradient, wide, wide_too, a, c, (int)term[4], scale);
        else if (kind == SOFT_BCE) {
          const double t = term[4];
          loss = soft_bce_row(scores, teacher_scores, gradient, a, c, 1 / t, (scale * t) / (double)c);
        }
        sums[k] = sums[k] + loss;
      }
      add_list_rows(b.user_gradients + (int64_t)us * b.dim, b.Q, b.dim, list, width, gradient);
      item_count = gather ? count_item_entries(&b, list, width, item_count, slots, cursors)
                          : scatter_item_gradients(&b, list, width, item_count, gradient, pu);
    }
    if (gather) add_item_gradients(&b, first, rows, width, item_count, entry_slots, entry_gradients, cursors);
    for (int k = 0; k < term_count; k++) {
      const double* term = terms + 1 + k * TERM_WORDS;
      const int kind = (int)term[0];
      double value = sums[k] / (double)rows;
      if (kind == SOFT_LABEL)
        value *= term[4] * term[4];
      else if (kind == SOFT_BCE)
        value *= (term[4] * term[4]) / term[3];
      else if (kind == SQUARED_ERROR)
        value /= (double)width;
      if (term[1] == 0) value = NAN;
      losses[batch * term_count + k] = (float)value;
    }
    adam_on_batch_rows(memory, params, &b, batch, rows, user_count, item_count);
  }
}
