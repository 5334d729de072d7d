// The kernels with the AVX2 selection, as on a CPU without AVX-512.
import { nativeKernelSuite } from "./kernel_suite.js";

process.env.KDREC_NATIVE_KERNELS_ISA = "avx2";
nativeKernelSuite("avx2");
