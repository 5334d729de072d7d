// kdrec's arena kernels: @kdrec/students' whole-epoch training kernels (assembly/list_batches.ts,
// assembly/bpr_batches.ts) in C, on the WebAssembly arena's memory at `memory`, each one's
// parameter block at byte offset `params`.
#pragma once
#include <stdint.h>

// At most this many loss terms (the list kernel's per-batch sums live on its stack).
#define KDREC_LIST_MAX_TERMS 64

void kdrec_list_batches(uint8_t* memory, uint32_t params);
void kdrec_bpr_batches(uint8_t* memory, uint32_t params);
