// The BPR kernel of @kdrec/students (assembly/bpr_batches.ts) for Node, on the same memory and
// parameter block: whole BPR steps, one per batch of (user, positive, negative) triples, with the
// same values to the bit (see batch_steps.h); the gradients' rows and Adam sixteen lanes at a time.
#include "arena_kernels.h"
#include "batch_steps.h"

// bpr_batches.ts' own fields of the parameter block (USERS, 9, is shared).
enum { POSITIVES = 10, NEGATIVES = 11 };

// A new row's slot for the batch's item `item` (its bias gradient zeroed too), or its slot.
INLINE int32_t item_slot(const Batch* b, int32_t* item_count, int32_t item) {
  int32_t slot = slot_of(b->item_slots, b->distinct_items, *item_count, item, b->item_gradients, b->dim);
  if (slot >= 0) return slot;
  slot = -1 - slot;
  if (b->biases != NULL) b->bias_gradients[slot] = 0;
  (*item_count)++;
  return slot;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void kdrec_bpr_batches(uint8_t* memory,
                                                                                   uint32_t params) {
  const int32_t* positives = AT(int32_t, POSITIVES);
  const int32_t* negatives = AT(int32_t, NEGATIVES);
  const int32_t* starts = AT(int32_t, STARTS);
  const int32_t batches = (int32_t)WORD(BATCHES);
  float* losses = AT(float, LOSSES);
  const Batch b = {AT(float, P_TABLE),        AT(float, Q_TABLE),        AT(float, BIASES),
                   AT(float, USER_GRADIENTS), AT(float, ITEM_GRADIENTS), AT(float, BIAS_GRADIENTS),
                   AT(int32_t, USER_SLOTS),   AT(int32_t, ITEM_SLOTS),   AT(int32_t, DISTINCT_USERS),
                   AT(int32_t, DISTINCT_ITEMS), AT(int32_t, USERS),      (int)WORD(DIM),
                   (int)WORD(DIM) & ~3};
  for (int32_t batch = 0; batch < batches; batch++) {
    const int32_t first = starts[batch], end = starts[batch + 1], rows = end - first;
    int32_t user_count = 0, item_count = 0;
    double total = 0;
    for (int32_t r = first; r < end; r++) {
      const int32_t u = b.users[r], p = positives[r], n = negatives[r];
      int32_t us = slot_of(b.user_slots, b.distinct_users, user_count, u, b.user_gradients, b.dim);
      if (us < 0) {
        us = -1 - us;
        user_count++;
      }
      const int32_t ps = item_slot(&b, &item_count, p);
      const int32_t ns = item_slot(&b, &item_count, n);
      const float* pu = b.P + (int64_t)u * b.dim;
      const float* qp = b.Q + (int64_t)p * b.dim;
      const float* qn = b.Q + (int64_t)n * b.dim;
      float positive = dot(pu, qp, b.dim, b.vector);
      float negative = dot(pu, qn, b.dim, b.vector);
      if (b.biases != NULL) {
        positive += b.biases[p];
        negative += b.biases[n];
      }
      double sigma;
      total += softplus_and_sigma((double)negative - (double)positive, &sigma);
      const float g = (float)(sigma / (double)rows);
      // The positive's score gradient is −g, the negative's +g, in that order (as rowGradients).
      float* gu = b.user_gradients + (int64_t)us * b.dim;
      add_scaled(gu, qp, -g, b.dim);
      add_scaled(b.item_gradients + (int64_t)ps * b.dim, pu, -g, b.dim);
      if (b.biases != NULL) b.bias_gradients[ps] = b.bias_gradients[ps] - g;
      add_scaled(gu, qn, g, b.dim);
      add_scaled(b.item_gradients + (int64_t)ns * b.dim, pu, g, b.dim);
      if (b.biases != NULL) b.bias_gradients[ns] = b.bias_gradients[ns] + g;
    }
    losses[batch] = (float)(total / (double)rows);
    adam_on_batch_rows(memory, params, &b, batch, rows, user_count, item_count);
  }
}
