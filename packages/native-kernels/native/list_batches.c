// The list kernel of @kdrec/students (assembly/list_batches.ts) for Node, on the same memory: the
// WebAssembly arena's bytes, the same parameter block. It computes the same values to the bit (see
// batch_steps.h) and is faster where native code is: element-wise passes (the gradients' rows, Adam,
// the exponentials) sixteen lanes at a time, the teacher's scores prefetched a row ahead. The tests
// compare the two kernels' tables and losses bit for bit; keep each function beside its
// AssemblyScript original.
#include "arena_kernels.h"

#include "batch_steps.h"

// list_batches.ts' own fields of the parameter block.
enum {
  LISTS = 10, TEACHER = 11, WIDTH = 28, CATALOGUE = 29, ROW_SCRATCH = 30, TERMS = 31, TEACHER_P = 32,
  TEACHER_Q = 33, TEACHER_BIASES = 34, TEACHER_DIM = 35, BATCH_SCRATCH = 36,
};
enum { BPR = 0, SOFT_LABEL = 1, SQUARED_ERROR = 2, RANKING = 3, PLACKETT_LUCE = 4, SOFT_BCE = 5 };
#define TERM_WORDS 8
#define PAD (-1e30f)

// ---- list_batches.ts ---------------------------------------------------------------------------

INLINE void add_f32(float* array, int j, double value) { array[j] = (float)((double)array[j] + value); }

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
