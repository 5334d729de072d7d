// kdrec_list_batches: @kdrec/students' list kernel (assembly/list_batches.ts) in C, on the
// WebAssembly arena's memory at `memory`, its parameter block at byte offset `params`.
#pragma once
#include <stdint.h>

// At most this many loss terms (the kernel's per-batch sums live on its stack).
#define KDREC_LIST_MAX_TERMS 64

void kdrec_list_batches(uint8_t* memory, uint32_t params);
