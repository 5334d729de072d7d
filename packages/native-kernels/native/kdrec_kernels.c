// kdrec's kernels for native TensorFlow, registered through TensorFlow's C kernel API when Node
// loads this file (it is also a Node-API addon, so that `require` keeps it loaded).
//
//   KdrecHeldOutRanks  each held-out item's rank in its row of a score block: one pass over the
//                      row counting the items that score at least as high (or strictly higher),
//                      then the row's excluded items taken back. Replaces compare + cast + sum
//                      (three passes and two [B, N] temporaries) and the gathers around them.
//   KdrecTopKExcluding each row's k best items, leaving out the row's user's excluded items (a
//                      CSR by user), best first, ties to the lower index, NaN never ranked.
//   KdrecScoreTopKExcluding
//                      the same from an MF's factors: each row's scores against every item are
//                      computed a few rows at a time into a buffer that stays in cache and
//                      selected there, so the [B, N] score block is never written to memory.
//
// It also exports, as Node-API functions, @kdrec/students' whole-epoch training kernels in C
// (listBatches, bprBatches: list_batches.c, bpr_batches.c), checked here before they run.
//
// Semantics are those of @kdrec/metrics' `rankInRow` and @kdrec/students' `selectTopK`; their
// tests compare against them. TensorFlow's C API headers for kernels (kernels.h, ops.h) pull in
// most of TensorFlow; the dozen functions used here are declared below instead, with the
// signatures of TensorFlow 2.x's stable C API.
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "arena_kernels.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

typedef struct TF_OpDefinitionBuilder TF_OpDefinitionBuilder;
typedef struct TF_KernelBuilder TF_KernelBuilder;
typedef struct TF_OpKernelConstruction TF_OpKernelConstruction;
typedef struct TF_OpKernelContext TF_OpKernelContext;
extern TF_OpDefinitionBuilder* TF_NewOpDefinitionBuilder(const char* op_name);
extern void TF_OpDefinitionBuilderAddAttr(TF_OpDefinitionBuilder* builder, const char* attr_spec);
extern void TF_OpDefinitionBuilderAddInput(TF_OpDefinitionBuilder* builder, const char* input_spec);
extern void TF_OpDefinitionBuilderAddOutput(TF_OpDefinitionBuilder* builder, const char* output_spec);
extern void TF_RegisterOpDefinition(TF_OpDefinitionBuilder* builder, TF_Status* status);
extern TF_KernelBuilder* TF_NewKernelBuilder(const char* op_name, const char* device_name,
                                             void* (*create_func)(TF_OpKernelConstruction*),
                                             void (*compute_func)(void*, TF_OpKernelContext*),
                                             void (*delete_func)(void*));
extern void TF_RegisterKernelBuilder(const char* kernel_name, TF_KernelBuilder* builder, TF_Status* status);
extern void TF_GetInput(TF_OpKernelContext* ctx, int i, TF_Tensor** tensor, TF_Status* status);
extern TF_Tensor* TF_AllocateOutput(TF_OpKernelContext* context, int index, TF_DataType dtype, const int64_t* dims,
                                    int num_dims, size_t len, TF_Status* status);
extern void TF_OpKernelContext_Failure(TF_OpKernelContext* ctx, TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrBool(TF_OpKernelConstruction* ctx, const char* attr_name,
                                                unsigned char* val, TF_Status* status);
extern void TF_OpKernelConstruction_GetAttrInt32(TF_OpKernelConstruction* ctx, const char* attr_name, int32_t* val,
                                                 TF_Status* status);
extern void TF_OpKernelConstruction_Failure(TF_OpKernelConstruction* ctx, TF_Status* status);

// A NaN score ranks as the lowest finite float: below every real score, tied with other NaNs.
#define LOWEST (-3.4e38f)

// The counting loops are built for AVX-512, AVX2 and plain x86-64; the loader picks the best.
#if defined(__x86_64__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

VECTOR_CLONES static int64_t count_at_least(const float* row, int64_t n, float target) {
  int64_t count = 0;
  for (int64_t j = 0; j < n; j++) count += row[j] >= target;
  return count;
}

VECTOR_CLONES static int64_t count_above(const float* row, int64_t n, float target) {
  int64_t count = 0;
  for (int64_t j = 0; j < n; j++) count += row[j] > target;
  return count;
}

// Rows [0, rows) split over up to the machine's cores (this thread and helpers), when the block is
// large enough to pay for starting a thread (~30 us); `work(context, from, to)` does a range.
typedef void (*RowWork)(void* context, int64_t from, int64_t to);
typedef struct {
  RowWork work;
  void* context;
  int64_t from, to;
} RowRange;

static void* run_range(void* range) {
  const RowRange* r = range;
  r->work(r->context, r->from, r->to);
  return NULL;
}

#define MAX_THREADS 8
#define SCORES_PER_THREAD (1 << 18)

static void for_rows(int64_t rows, int64_t items, RowWork work, void* context) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t threads = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : cores;
  if (rows * items / SCORES_PER_THREAD < threads) threads = rows * items / SCORES_PER_THREAD;
  if (threads > rows) threads = rows;
  if (threads < 2) {
    work(context, 0, rows);
    return;
  }
  RowRange ranges[MAX_THREADS];
  pthread_t helpers[MAX_THREADS];
  int started[MAX_THREADS] = {0};
  for (int64_t t = 0; t < threads; t++) ranges[t] = (RowRange){work, context, rows * t / threads, rows * (t + 1) / threads};
  for (int64_t t = 1; t < threads; t++) started[t] = pthread_create(&helpers[t], NULL, run_range, &ranges[t]) == 0;
  work(context, ranges[0].from, ranges[0].to);
  // A helper that did not start leaves its range to this thread.
  for (int64_t t = 1; t < threads; t++) {
    if (started[t]) pthread_join(helpers[t], NULL);
    else run_range(&ranges[t]);
  }
}

static inline int ranks_above(float score, float target, int optimistic) {
  const float v = isnan(score) ? LOWEST : score;
  return optimistic ? v > target : v >= target;
}

// Inputs fetched at once; deleted by `release_inputs` whatever happened.
static int get_inputs(TF_OpKernelContext* ctx, TF_Tensor** inputs, int count, TF_Status* status) {
  for (int i = 0; i < count; i++) {
    TF_GetInput(ctx, i, &inputs[i], status);
    if (TF_GetCode(status) != TF_OK) return 0;
  }
  return 1;
}

static void release_inputs(TF_Tensor** inputs, int count) {
  for (int i = 0; i < count; i++)
    if (inputs[i] != NULL) TF_DeleteTensor(inputs[i]);
}

static int64_t length_of(const TF_Tensor* t) { return TF_NumDims(t) == 1 ? TF_Dim(t, 0) : -1; }

// Whether the CSR `offsets` (count + 1 entries) is well formed over `items_length` entries.
static int valid_offsets(const int32_t* offsets, int64_t count, int64_t items_length) {
  if (offsets[0] != 0 || offsets[count] != items_length) return 0;
  for (int64_t b = 0; b < count; b++)
    if (offsets[b] > offsets[b + 1]) return 0;
  return 1;
}

#define MAX_INPUTS 6

// A kernel's inputs checked by `check`; `run` then computes into its outputs, or sets `status`.
typedef const char* (*CheckInputs)(TF_Tensor** in);
typedef void (*RunKernel)(void* kernel, TF_OpKernelContext* ctx, TF_Tensor** in, TF_Status* status);

// What every compute function does around its work: fetch the inputs, refuse inconsistent ones
// with the check's message, report a failure to TensorFlow, free what was fetched.
static void compute_checked(void* kernel, TF_OpKernelContext* ctx, int count, CheckInputs check, RunKernel run) {
  TF_Status* status = TF_NewStatus();
  TF_Tensor* in[MAX_INPUTS] = {NULL};
  if (get_inputs(ctx, in, count, status)) {
    const char* problem = check(in);
    if (problem != NULL) TF_SetStatus(status, TF_INVALID_ARGUMENT, problem);
    else run(kernel, ctx, in, status);
  }
  if (TF_GetCode(status) != TF_OK) TF_OpKernelContext_Failure(ctx, status);
  release_inputs(in, count);
  TF_DeleteStatus(status);
}

// ---- KdrecHeldOutRanks -------------------------------------------------------------------------

static void* held_out_ranks_create(TF_OpKernelConstruction* ctx) {
  TF_Status* status = TF_NewStatus();
  unsigned char optimistic = 0;
  TF_OpKernelConstruction_GetAttrBool(ctx, "optimistic", &optimistic, status);
  if (TF_GetCode(status) != TF_OK) TF_OpKernelConstruction_Failure(ctx, status);
  TF_DeleteStatus(status);
  // The attribute is the kernel's only state: 1 pessimistic, 2 optimistic.
  return (void*)(intptr_t)(optimistic ? 2 : 1);
}

static void no_state(void* kernel) { (void)kernel; }

static const char* check_ranks_inputs(TF_Tensor** in) {
  if (TF_NumDims(in[0]) != 2) return "KdrecHeldOutRanks: scores must be a matrix [rows, items]";
  const int64_t rows = TF_Dim(in[0], 0), items = TF_Dim(in[0], 1), targets = length_of(in[1]);
  if (targets < 0 || length_of(in[2]) != targets)
    return "KdrecHeldOutRanks: target_rows and target_items must be vectors of one length";
  if (length_of(in[3]) != rows + 1 || length_of(in[4]) < 0)
    return "KdrecHeldOutRanks: excluded_offsets must hold rows + 1 entries and excluded_items be a vector";
  const int32_t* target_rows = TF_TensorData(in[1]);
  const int32_t* target_items = TF_TensorData(in[2]);
  for (int64_t j = 0; j < targets; j++)
    if (target_rows[j] < 0 || target_rows[j] >= rows || target_items[j] < 0 || target_items[j] >= items)
      return "KdrecHeldOutRanks: a target's row or item is out of range";
  if (!valid_offsets(TF_TensorData(in[3]), rows, length_of(in[4])))
    return "KdrecHeldOutRanks: excluded_offsets must rise from 0 to the number of excluded items";
  const int32_t* excluded = TF_TensorData(in[4]);
  const int64_t count = length_of(in[4]);
  for (int64_t e = 0; e < count; e++)
    if (excluded[e] < 0 || excluded[e] >= items) return "KdrecHeldOutRanks: an excluded item is out of range";
  return NULL;
}

typedef struct {
  int optimistic;
  int64_t items;
  const float* scores;
  const int32_t *target_rows, *target_items, *offsets, *excluded;
  int32_t* ranks;
} RanksJob;

// Targets [from, to): each one's rank in its row.
static void rank_targets(void* context, int64_t from, int64_t to) {
  const RanksJob* job = context;
  const int optimistic = job->optimistic;
  for (int64_t j = from; j < to; j++) {
    const int64_t b = job->target_rows[j];
    const float* row = job->scores + b * job->items;
    const float raw = row[job->target_items[j]];
    const float target = isnan(raw) ? LOWEST : raw;
    int64_t rank = 0;
    if (target <= LOWEST) {
      // NaN scores reach a target this low: count them by the NaN-as-LOWEST rule.
      for (int64_t i = 0; i < job->items; i++) rank += ranks_above(row[i], target, optimistic);
    } else {
      // NaN compares false here, as it should above LOWEST.
      rank = optimistic ? count_above(row, job->items, target) : count_at_least(row, job->items, target);
    }
    for (int32_t e = job->offsets[b]; e < job->offsets[b + 1]; e++)
      rank -= ranks_above(row[job->excluded[e]], target, optimistic);
    // The target counts itself under `>=`.
    job->ranks[j] = (int32_t)(optimistic ? rank : rank - 1);
  }
}

static void held_out_ranks_run(void* kernel, TF_OpKernelContext* ctx, TF_Tensor** in, TF_Status* status) {
  const int64_t targets = length_of(in[1]);
  const int64_t dims[1] = {targets};
  TF_Tensor* out = TF_AllocateOutput(ctx, 0, TF_INT32, dims, 1, (size_t)targets * sizeof(int32_t), status);
  if (TF_GetCode(status) != TF_OK) return;
  RanksJob job = {(intptr_t)kernel == 2,  TF_Dim(in[0], 1),    TF_TensorData(in[0]), TF_TensorData(in[1]),
                  TF_TensorData(in[2]), TF_TensorData(in[3]), TF_TensorData(in[4]), TF_TensorData(out)};
  for_rows(targets, job.items, rank_targets, &job);
  TF_DeleteTensor(out);
}

static void held_out_ranks_compute(void* kernel, TF_OpKernelContext* ctx) {
  compute_checked(kernel, ctx, 5, check_ranks_inputs, held_out_ranks_run);
}

// ---- KdrecTopKExcluding ------------------------------------------------------------------------

static void* top_k_create(TF_OpKernelConstruction* ctx) {
  TF_Status* status = TF_NewStatus();
  int32_t k = 0;
  TF_OpKernelConstruction_GetAttrInt32(ctx, "k", &k, status);
  if (TF_GetCode(status) == TF_OK && k < 1) TF_SetStatus(status, TF_INVALID_ARGUMENT, "KdrecTopKExcluding: k must be positive");
  if (TF_GetCode(status) != TF_OK) TF_OpKernelConstruction_Failure(ctx, status);
  TF_DeleteStatus(status);
  return (void*)(intptr_t)k;
}

typedef struct {
  int32_t k, filled;
  float threshold;  // the k-th best score once k are held (-inf before)
  int32_t* items;
  float* scores;
} BestList;

// Inserts item i (score s) in order, after the items of equal score (ties to the lower index).
static inline void insert_best(BestList* best, float s, int32_t i) {
  int32_t slot = best->filled < best->k ? best->filled++ : best->k - 1;
  while (slot > 0 && s > best->scores[slot - 1]) {
    best->scores[slot] = best->scores[slot - 1];
    best->items[slot] = best->items[slot - 1];
    slot--;
  }
  best->scores[slot] = s;
  best->items[slot] = i;
  if (best->filled == best->k) best->threshold = best->scores[best->k - 1];
}

// Whether `item` is excluded, for items asked in rising order: `*cursor` walks the user's sorted
// list once per row (a merge), cheaper than a binary search per contender.
static inline int is_excluded(const int32_t* list, int32_t* cursor, int32_t hi, int32_t item) {
  while (*cursor < hi && list[*cursor] < item) ++*cursor;
  return *cursor < hi && list[*cursor] == item;
}

// Which of a block's scores beat `threshold`, or reach `floor` (NaN never does), one bit each: 16 per
// AVX-512 compare, 8 per AVX2 compare, 1 without either. `max_*` is the largest score of row[from,
// to), NaN left out (MAXPS gives its second operand when one is NaN), -inf when there is none.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"), always_inline)) static inline uint32_t above_avx512(const float* block,
                                                                                   float threshold) {
  return _mm512_cmp_ps_mask(_mm512_loadu_ps(block), _mm512_set1_ps(threshold), _CMP_GT_OQ);
}

__attribute__((target("avx512f"), always_inline)) static inline uint32_t reach_avx512(const float* block,
                                                                                   float floor) {
  return _mm512_cmp_ps_mask(_mm512_loadu_ps(block), _mm512_set1_ps(floor), _CMP_GE_OQ);
}

__attribute__((target("avx512f"), always_inline)) static inline float max_avx512(const float* row, int64_t from,
                                                                               int64_t to) {
  __m512 best = _mm512_set1_ps(-INFINITY);
  int64_t i = from;
  for (; i + 16 <= to; i += 16) best = _mm512_max_ps(_mm512_loadu_ps(row + i), best);
  float m = _mm512_reduce_max_ps(best);
  for (; i < to; i++) m = row[i] > m ? row[i] : m;
  return m;
}

__attribute__((target("avx2"), always_inline)) static inline uint32_t above_avx2(const float* block, float threshold) {
  return (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(block), _mm256_set1_ps(threshold), _CMP_GT_OQ));
}

__attribute__((target("avx2"), always_inline)) static inline uint32_t reach_avx2(const float* block, float floor) {
  return (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(block), _mm256_set1_ps(floor), _CMP_GE_OQ));
}

__attribute__((target("avx2"), always_inline)) static inline float max_avx2(const float* row, int64_t from,
                                                                          int64_t to) {
  __m256 best = _mm256_set1_ps(-INFINITY);
  int64_t i = from;
  for (; i + 8 <= to; i += 8) best = _mm256_max_ps(_mm256_loadu_ps(row + i), best);
  float lanes[8];
  _mm256_storeu_ps(lanes, best);
  float m = -INFINITY;
  for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
  for (; i < to; i++) m = row[i] > m ? row[i] : m;
  return m;
}
#endif

static inline uint32_t above_plain(const float* block, float threshold) { return block[0] > threshold; }
static inline uint32_t reach_plain(const float* block, float floor) { return block[0] >= floor; }
static inline float max_plain(const float* row, int64_t from, int64_t to) {
  float m = -INFINITY;
  for (int64_t i = from; i < to; i++) m = row[i] > m ? row[i] : m;
  return m;
}

// Rows from this many items per kept item on get a floor (see DEFINE_SELECT_ROW).
#define FLOOR_FROM_ITEMS_PER_K 32

// One row's selection, in index order: blocks of scores compared at once with the bar, the k-th best
// so far (or, before k are held, the floor); only the scores whose bit is set (a few per row) are
// looked at again (the bar may have risen since), checked against the user's excluded items and
// inserted. Ties go to the lower index (index order, strict >). Without excluded lists to walk (an
// excluded item's score NaN), the row is first cut into k stretches: each stretch's largest score
// is a rankable item, so the k-th best scores at least the least of those k maxima — the floor,
// below which nothing is inserted. On random scores about 3k items are expected to reach it, where a
// running top-k inserts about k·(1 + ln n/k), each a mispredicted branch or two: the selection was
// 56% of KdrecScoreTopKExcluding's time at d = 8. Defined once per instruction set; the best is
// picked at load.
#define DEFINE_SELECT_ROW(NAME, TARGET, WIDTH, ABOVE, REACH, MAX)                                                     \
  TARGET static void NAME(const float* row, int64_t items, const int32_t* excluded, int32_t lo, int32_t hi,         \
                          int32_t k, int32_t* best_items, float* best_scores) {                                     \
    BestList best = {k, 0, -INFINITY, best_items, best_scores};                                                     \
    int32_t cursor = lo;                                                                                             \
    float floor = -INFINITY;                                                                                         \
    if (lo == hi && items >= (int64_t)k * FLOOR_FROM_ITEMS_PER_K)                                                    \
      for (int32_t b = 0; b < k; b++) {                                                                              \
        const float m = MAX(row, items * b / k, items * (b + 1) / k);                                                \
        floor = b == 0 || m < floor ? m : floor;                                                                     \
      }                                                                                                              \
    int64_t i = 0;                                                                                                   \
    for (; i + (WIDTH) <= items; i += (WIDTH))                                                                       \
      for (uint32_t bits = best.filled < k ? REACH(row + i, floor) : ABOVE(row + i, best.threshold); bits != 0;      \
           bits &= bits - 1) {                                                                                       \
        const int64_t j = i + __builtin_ctz(bits);                                                                   \
        if ((best.filled < k ? row[j] >= floor : row[j] > best.threshold) &&                                         \
            !is_excluded(excluded, &cursor, hi, (int32_t)j))                                                         \
          insert_best(&best, row[j], (int32_t)j);                                                                    \
      }                                                                                                              \
    for (; i < items; i++)                                                                                           \
      if ((best.filled < k ? row[i] >= floor : row[i] > best.threshold) &&                                           \
          !is_excluded(excluded, &cursor, hi, (int32_t)i))                                                           \
        insert_best(&best, row[i], (int32_t)i);                                                                      \
  }

#if defined(__x86_64__) && defined(__GNUC__)
DEFINE_SELECT_ROW(select_row_avx512, __attribute__((target("avx512f"))), 16, above_avx512, reach_avx512, max_avx512)
DEFINE_SELECT_ROW(select_row_avx2, __attribute__((target("avx2"))), 8, above_avx2, reach_avx2, max_avx2)
#endif
DEFINE_SELECT_ROW(select_row_plain, , 1, above_plain, reach_plain, max_plain)

typedef void (*SelectRow)(const float*, int64_t, const int32_t*, int32_t, int32_t, int32_t, int32_t*, float*);
static SelectRow select_row = select_row_plain;
static const char* select_row_isa = "plain";

// The best the CPU has; KDREC_NATIVE_KERNELS_ISA=avx2 or plain asks for less (the tests run each).
static void pick_select_row(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  const char* wanted = getenv("KDREC_NATIVE_KERNELS_ISA");
  const int at_most_avx2 = wanted != NULL && strcmp(wanted, "avx2") == 0;
  const int plain = wanted != NULL && strcmp(wanted, "plain") == 0;
  __builtin_cpu_init();
  if (!plain && !at_most_avx2 && __builtin_cpu_supports("avx512f")) {
    select_row = select_row_avx512;
    select_row_isa = "avx512";
  } else if (!plain && __builtin_cpu_supports("avx2")) {
    select_row = select_row_avx2;
    select_row_isa = "avx2";
  }
#endif
}

typedef struct {
  int32_t k;
  int64_t items;
  int has_lists;
  const float* scores;
  const int32_t *row_users, *offsets, *excluded;
  int32_t* best_items;
  float* best_scores;
} TopKJob;

static void select_rows(void* context, int64_t from, int64_t to) {
  const TopKJob* job = context;
  for (int64_t b = from; b < to; b++) {
    const int32_t user = job->row_users[b];
    const int32_t lo = job->has_lists ? job->offsets[user] : 0, hi = job->has_lists ? job->offsets[user + 1] : 0;
    select_row(job->scores + b * job->items, job->items, job->excluded, lo, hi, job->k, job->best_items + b * job->k,
               job->best_scores + b * job->k);
  }
}

// What a top-K kernel says of wrong excluded lists, its name first.
typedef struct {
  const char *offsets, *users, *items;
} ExcludedListMessages;
#define EXCLUDED_LIST_MESSAGES(KERNEL)                                                \
  ((ExcludedListMessages){KERNEL ": excluded_offsets must rise from 0 to the number of excluded items", \
                          KERNEL ": a user is outside the excluded lists",                              \
                          KERNEL ": an excluded item is out of range"})

// The top-K kernels' excluded lists, a CSR by user: the offsets rise over the excluded items, each
// row's user (`row_users`, `rows` of them) is one of the lists' users, each excluded item is one of
// the `items`. NULL when right or when there are no lists, else the message that applies.
static const char* check_excluded_lists(TF_Tensor* row_users_in, TF_Tensor* offsets, TF_Tensor* excluded_in,
                                        int64_t rows, int64_t items, ExcludedListMessages messages) {
  const int64_t users = length_of(offsets) - 1;
  if (users < 0) return NULL;  // no excluded lists
  // TF_Dim and length_of call into TensorFlow: read once, not per item (that cost 1 ms a call).
  const int64_t count = length_of(excluded_in);
  if (!valid_offsets(TF_TensorData(offsets), users, count)) return messages.offsets;
  const int32_t* row_users = TF_TensorData(row_users_in);
  for (int64_t b = 0; b < rows; b++)
    if (row_users[b] < 0 || row_users[b] >= users) return messages.users;
  const int32_t* excluded = TF_TensorData(excluded_in);
  for (int64_t e = 0; e < count; e++)
    if (excluded[e] < 0 || excluded[e] >= items) return messages.items;
  return NULL;
}

static const char* check_top_k_inputs(TF_Tensor** in) {
  if (TF_NumDims(in[0]) != 2) return "KdrecTopKExcluding: scores must be a matrix [rows, items]";
  const int64_t rows = TF_Dim(in[0], 0);
  if (length_of(in[1]) != rows) return "KdrecTopKExcluding: users must hold one user per row of scores";
  if (length_of(in[3]) < 0) return "KdrecTopKExcluding: excluded_items must be a vector";
  return check_excluded_lists(in[1], in[2], in[3], rows, TF_Dim(in[0], 1),
                              EXCLUDED_LIST_MESSAGES("KdrecTopKExcluding"));
}

// A top-K kernel's outputs, `[rows, k]` scores and items, allocated and filled with -inf / -1 (what
// a row with fewer than k rankable items keeps); both NULL unless `status` stays OK.
static void top_k_outputs(TF_OpKernelContext* ctx, int64_t rows, int32_t k, TF_Status* status, TF_Tensor** values,
                          TF_Tensor** indices) {
  const int64_t dims[2] = {rows, k};
  *values = TF_AllocateOutput(ctx, 0, TF_FLOAT, dims, 2, (size_t)(rows * k) * sizeof(float), status);
  *indices = TF_GetCode(status) == TF_OK
                 ? TF_AllocateOutput(ctx, 1, TF_INT32, dims, 2, (size_t)(rows * k) * sizeof(int32_t), status)
                 : NULL;
  if (TF_GetCode(status) != TF_OK) return;
  float* best_scores = TF_TensorData(*values);
  int32_t* best_items = TF_TensorData(*indices);
  for (int64_t j = 0; j < rows * k; j++) {
    best_scores[j] = -INFINITY;
    best_items[j] = -1;
  }
}

static void top_k_run(void* kernel, TF_OpKernelContext* ctx, TF_Tensor** in, TF_Status* status) {
  const int32_t k = (int32_t)(intptr_t)kernel;
  const int64_t rows = TF_Dim(in[0], 0), items = TF_Dim(in[0], 1);
  TF_Tensor *values, *indices;
  top_k_outputs(ctx, rows, k, status, &values, &indices);
  if (TF_GetCode(status) == TF_OK) {
    TopKJob job = {k, items, length_of(in[2]) > 0, TF_TensorData(in[0]), TF_TensorData(in[1]),
                   TF_TensorData(in[2]), TF_TensorData(in[3]), TF_TensorData(indices), TF_TensorData(values)};
    for_rows(rows, items, select_rows, &job);
  }
  if (values != NULL) TF_DeleteTensor(values);
  if (indices != NULL) TF_DeleteTensor(indices);
}

static void top_k_compute(void* kernel, TF_OpKernelContext* ctx) {
  compute_checked(kernel, ctx, 4, check_top_k_inputs, top_k_run);
}

// ---- KdrecScoreTopKExcluding -------------------------------------------------------------------

// Rows scored together: each item column's factors are loaded once for all of them.
#define TILE_ROWS 6
// Items per vector of the product, and per pass of a tile (two vectors: the transposed item table
// is padded to a multiple, its padding zero and never selected).
#define LANES 16
#define TILE_ITEMS (2 * LANES)

typedef float Lanes __attribute__((vector_size(LANES * sizeof(float))));

typedef struct {
  int32_t k;
  int64_t items, padded, dim;
  int has_lists;
  const float* user_rows;     // [B, dim]
  // The item table in panels of TILE_ITEMS items, each panel [dim, TILE_ITEMS] (a factor's values
  // for the panel's items side by side), zero-padded: a tile reads its panel front to back.
  const float* item_panels;
  const float* biases;        // [padded] or NULL
  const int32_t *row_users, *offsets, *excluded;
  int32_t* best_items;
  float* best_scores;
} ScoreTopKJob;

// Scores of `rows` (≤ TILE_ROWS) user rows against every item into `out` ([rows, padded]): per
// TILE_ITEMS items, two accumulators per row (each user factor loaded once feeds both), the factors
// summed in order d = 0, 1, … .
VECTOR_CLONES static void score_tile(const ScoreTopKJob* job, const float* users, int rows, float* out) {
  const int64_t dim = job->dim, padded = job->padded;
  for (int64_t i = 0; i < padded; i += TILE_ITEMS) {
    Lanes acc[TILE_ROWS], accToo[TILE_ROWS];
    Lanes start = {0}, startToo = {0};
    if (job->biases != NULL) {
      memcpy(&start, job->biases + i, sizeof start);
      memcpy(&startToo, job->biases + i + LANES, sizeof startToo);
    }
    for (int r = 0; r < TILE_ROWS; r++) {
      acc[r] = start;
      accToo[r] = startToo;
    }
    const float* panel = job->item_panels + i * dim;
    for (int64_t d = 0; d < dim; d++) {
      Lanes q, qToo;
      memcpy(&q, panel + d * TILE_ITEMS, sizeof q);
      memcpy(&qToo, panel + d * TILE_ITEMS + LANES, sizeof qToo);
      for (int r = 0; r < TILE_ROWS; r++) {
        const float u = users[r * dim + d];
        acc[r] += u * q;
        accToo[r] += u * qToo;
      }
    }
    for (int r = 0; r < rows; r++) {
      memcpy(out + r * padded + i, &acc[r], sizeof acc[r]);
      memcpy(out + r * padded + i + LANES, &accToo[r], sizeof accToo[r]);
    }
  }
}

static void score_and_select_rows(void* context, int64_t from, int64_t to) {
  const ScoreTopKJob* job = context;
  float* tile = aligned_alloc(64, (size_t)(TILE_ROWS * job->padded) * sizeof(float));
  float users[TILE_ROWS * 4096];  // dim ≤ 4096 (checked), padded rows of a short last tile zero
  if (tile == NULL) return;  // the outputs stay empty (-1 / -inf); cannot happen at these sizes
  for (int64_t b = from; b < to; b += TILE_ROWS) {
    const int rows = to - b < TILE_ROWS ? (int)(to - b) : TILE_ROWS;
    memset(users, 0, sizeof(float) * TILE_ROWS * job->dim);
    memcpy(users, job->user_rows + b * job->dim, sizeof(float) * rows * job->dim);
    score_tile(job, users, rows, tile);
    for (int r = 0; r < rows; r++) {
      // The user's excluded items become NaN in the tile (never ranked, as an excluded item is not),
      // so the selection has no list to walk.
      float* row = tile + r * job->padded;
      if (job->has_lists) {
        const int32_t user = job->row_users[b + r];
        for (int32_t e = job->offsets[user]; e < job->offsets[user + 1]; e++) row[job->excluded[e]] = NAN;
      }
      select_row(row, job->items, job->excluded, 0, 0, job->k, job->best_items + (b + r) * job->k,
                 job->best_scores + (b + r) * job->k);
    }
  }
  free(tile);
}

static const char* check_score_top_k_inputs(TF_Tensor** in) {
  if (TF_NumDims(in[0]) != 2 || TF_NumDims(in[1]) != 2)
    return "KdrecScoreTopKExcluding: user_rows and item_factors must be matrices [rows, dim] and [items, dim]";
  const int64_t rows = TF_Dim(in[0], 0), dim = TF_Dim(in[0], 1), items = TF_Dim(in[1], 0);
  if (TF_Dim(in[1], 1) != dim) return "KdrecScoreTopKExcluding: user_rows and item_factors must have the same width";
  if (dim < 1 || dim > 4096) return "KdrecScoreTopKExcluding: the width must be in [1, 4096]";
  const int64_t biases = length_of(in[2]);
  if (biases != 0 && biases != items) return "KdrecScoreTopKExcluding: item_biases must be empty or one per item";
  if (length_of(in[3]) != rows) return "KdrecScoreTopKExcluding: users must hold one user per row";
  if (length_of(in[5]) < 0) return "KdrecScoreTopKExcluding: excluded_items must be a vector";
  return check_excluded_lists(in[3], in[4], in[5], rows, items, EXCLUDED_LIST_MESSAGES("KdrecScoreTopKExcluding"));
}

static void score_top_k_run(void* kernel, TF_OpKernelContext* ctx, TF_Tensor** in, TF_Status* status) {
  const int32_t k = (int32_t)(intptr_t)kernel;
  const int64_t rows = TF_Dim(in[0], 0), dim = TF_Dim(in[0], 1), items = TF_Dim(in[1], 0);
  const int64_t padded = (items + TILE_ITEMS - 1) / TILE_ITEMS * TILE_ITEMS;
  TF_Tensor *values, *indices;
  top_k_outputs(ctx, rows, k, status, &values, &indices);
  float* item_panels = TF_GetCode(status) == TF_OK ? calloc((size_t)(dim * padded), sizeof(float)) : NULL;
  float* biases = TF_GetCode(status) == TF_OK && length_of(in[2]) > 0 ? calloc((size_t)padded, sizeof(float)) : NULL;
  if (TF_GetCode(status) == TF_OK && (item_panels == NULL || (length_of(in[2]) > 0 && biases == NULL)))
    TF_SetStatus(status, TF_RESOURCE_EXHAUSTED, "KdrecScoreTopKExcluding: no memory for the item panels");
  if (TF_GetCode(status) == TF_OK) {
    const float* factors = TF_TensorData(in[1]);
    // Panel by panel: [dim, TILE_ITEMS] from the panel's [TILE_ITEMS, dim] rows.
    for (int64_t i0 = 0; i0 < items; i0 += TILE_ITEMS) {
      float* panel = item_panels + i0 * dim;
      const int64_t i1 = i0 + TILE_ITEMS < items ? i0 + TILE_ITEMS : items;
      for (int64_t i = i0; i < i1; i++)
        for (int64_t d = 0; d < dim; d++) panel[d * TILE_ITEMS + (i - i0)] = factors[i * dim + d];
    }
    if (biases != NULL) memcpy(biases, TF_TensorData(in[2]), (size_t)items * sizeof(float));
    ScoreTopKJob job = {k,
                        items,
                        padded,
                        dim,
                        length_of(in[4]) > 0,
                        TF_TensorData(in[0]),
                        item_panels,
                        biases,
                        TF_TensorData(in[3]),
                        TF_TensorData(in[4]),
                        TF_TensorData(in[5]),
                        TF_TensorData(indices),
                        TF_TensorData(values)};
    // Split as a product of rows × items × dim would be (the work is the product's).
    for_rows(rows, items * dim / 8 + 1, score_and_select_rows, &job);
  }
  free(item_panels);
  free(biases);
  if (values != NULL) TF_DeleteTensor(values);
  if (indices != NULL) TF_DeleteTensor(indices);
}

static void score_top_k_compute(void* kernel, TF_OpKernelContext* ctx) {
  compute_checked(kernel, ctx, 6, check_score_top_k_inputs, score_top_k_run);
}

// ---- registration ------------------------------------------------------------------------------

typedef struct {
  const char* name;
  const char* inputs[MAX_INPUTS];
  const char* attr;
  const char* outputs[2];
  void* (*create)(TF_OpKernelConstruction*);
  void (*compute)(void*, TF_OpKernelContext*);
} KernelSpec;

static const KernelSpec KERNELS[] = {
    {"KdrecHeldOutRanks",
     {"scores: float", "target_rows: int32", "target_items: int32", "excluded_offsets: int32", "excluded_items: int32"},
     "optimistic: bool = false",
     {"ranks: int32", NULL},
     held_out_ranks_create,
     held_out_ranks_compute},
    {"KdrecTopKExcluding",
     {"scores: float", "users: int32", "excluded_offsets: int32", "excluded_items: int32", NULL},
     "k: int >= 1",
     {"values: float", "indices: int32"},
     top_k_create,
     top_k_compute},
    {"KdrecScoreTopKExcluding",
     {"user_rows: float", "item_factors: float", "item_biases: float", "users: int32", "excluded_offsets: int32",
      "excluded_items: int32"},
     "k: int >= 1",
     {"values: float", "indices: int32"},
     top_k_create,
     score_top_k_compute},
};

// Registers every kernel; returns NULL, or TensorFlow's message for the first that failed.
static const char* register_kernels(TF_Status* status) {
  for (size_t s = 0; s < sizeof(KERNELS) / sizeof(KERNELS[0]); s++) {
    const KernelSpec* spec = &KERNELS[s];
    TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(spec->name);
    for (int i = 0; i < MAX_INPUTS && spec->inputs[i] != NULL; i++) TF_OpDefinitionBuilderAddInput(op, spec->inputs[i]);
    for (int o = 0; o < 2 && spec->outputs[o] != NULL; o++) TF_OpDefinitionBuilderAddOutput(op, spec->outputs[o]);
    TF_OpDefinitionBuilderAddAttr(op, spec->attr);
    TF_RegisterOpDefinition(op, status);
    if (TF_GetCode(status) != TF_OK) return TF_Message(status);
    TF_KernelBuilder* builder = TF_NewKernelBuilder(spec->name, "CPU", spec->create, spec->compute, no_state);
    TF_RegisterKernelBuilder(spec->name, builder, status);
    if (TF_GetCode(status) != TF_OK) return TF_Message(status);
  }
  return NULL;
}

// An arena kernel's call (memory, params): a Uint8Array over all of a WebAssembly arena's memory and
// the byte offset of the kernel's parameter block of `words` 32-bit words, of which those that
// `is_value` says are counts, rates or dimensions and the others pointers. Like the WebAssembly
// kernels these trust the offsets they are given (their drivers lay them out); they refuse a block
// or a pointer outside the memory. NULL (a JavaScript error thrown) when refused.
typedef int (*IsValueWord)(uint32_t word);
static uint8_t* arena_call(napi_env env, napi_callback_info info, const char* name, uint32_t words,
                           IsValueWord is_value, uint32_t* params, size_t* length) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = NULL;
  bool typed = false;
  char message[160];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 2 && napi_is_typedarray(env, argv[0], &typed) == napi_ok && typed) {
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[0], &type, length, &data, &buffer, &offset) != napi_ok ||
        type != napi_uint8_array || offset != 0)
      data = NULL;
  }
  if (data == NULL || napi_get_value_uint32(env, argv[1], params) != napi_ok) {
    snprintf(message, sizeof message, "%s(memory, params): a Uint8Array over the whole memory and an offset", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  const uint8_t* memory = data;
  int inside = (uint64_t)*params + 4 * words <= *length && *params % 4 == 0;
  for (uint32_t w = 0; inside && w < words; w++)
    if (!is_value(w) && ((const uint32_t*)(memory + *params))[w] >= *length) inside = 0;
  if (!inside) {
    snprintf(message, sizeof message, "%s: the parameter block or a pointer in it lies outside the memory", name);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  return data;
}

// The counts, rates and dimensions among the kernels' words (batch_steps.h, list_batches.c).
static int is_list_value(uint32_t w) { return w == 13 || w == 14 || (w >= 16 && w <= 19) || w == 28 || w == 29 || w == 35; }
static int is_bpr_value(uint32_t w) { return w == 13 || w == 14 || (w >= 16 && w <= 19); }

// listBatches(memory, params): @kdrec/students' list kernel; it also refuses a term count past its
// bound.
static napi_value list_batches(napi_env env, napi_callback_info info) {
  uint32_t params;
  size_t length;
  uint8_t* memory = arena_call(env, info, "listBatches", 37, is_list_value, &params, &length);
  if (memory == NULL) return NULL;
  const uint32_t terms = ((const uint32_t*)(memory + params))[31];
  if (!(terms + 8 <= length && *(const double*)(memory + terms) <= KDREC_LIST_MAX_TERMS)) {
    napi_throw_range_error(env, NULL, "listBatches: the parameter block or a pointer in it lies outside the memory");
    return NULL;
  }
  kdrec_list_batches(memory, params);
  return NULL;
}

// bprBatches(memory, params): @kdrec/students' BPR kernel.
static napi_value bpr_batches(napi_env env, napi_callback_info info) {
  uint32_t params;
  size_t length;
  uint8_t* memory = arena_call(env, info, "bprBatches", 28, is_bpr_value, &params, &length);
  if (memory != NULL) kdrec_bpr_batches(memory, params);
  return NULL;
}

// TensorFlow refuses an op registered twice: a second Node environment (a worker thread) that
// loads this module gets the first registration's outcome.
static int registered = 0;
static char registration_problem[512];

// The module's exports: `kernels` (the registered names) or `error` (why none are), and `isa` (the
// selection's instruction set).
static napi_value init(napi_env env, napi_value exports) {
  if (!registered) {
    pick_select_row();
    TF_Status* status = TF_NewStatus();
    const char* message = register_kernels(status);
    if (message != NULL) snprintf(registration_problem, sizeof registration_problem, "%s", message);
    TF_DeleteStatus(status);
    registered = 1;
  }
  const char* problem = registration_problem[0] != 0 ? registration_problem : NULL;
  napi_value value;
  if (problem != NULL) {
    napi_create_string_utf8(env, problem, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, exports, "error", value);
  } else {
    const size_t count = sizeof(KERNELS) / sizeof(KERNELS[0]);
    napi_create_array_with_length(env, count, &value);
    for (size_t s = 0; s < count; s++) {
      napi_value name;
      napi_create_string_utf8(env, KERNELS[s].name, NAPI_AUTO_LENGTH, &name);
      napi_set_element(env, value, (uint32_t)s, name);
    }
    napi_set_named_property(env, exports, "kernels", value);
  }
  napi_value isa;
  napi_create_string_utf8(env, select_row_isa, NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  const struct {
    const char* name;
    napi_callback call;
  } arena_kernels[] = {{"listBatches", list_batches}, {"bprBatches", bpr_batches}};
  for (size_t a = 0; a < sizeof arena_kernels / sizeof arena_kernels[0]; a++) {
    napi_value function;
    napi_create_function(env, arena_kernels[a].name, NAPI_AUTO_LENGTH, arena_kernels[a].call, NULL, &function);
    napi_set_named_property(env, exports, arena_kernels[a].name, function);
  }
  return exports;
}

NAPI_MODULE(kdrec_kernels, init)
