// The kernels with the plain (non-vector) selection, as on a CPU without AVX2 or off x86-64.
import { nativeKernelSuite } from "./kernel_suite.js";

process.env.KDREC_NATIVE_KERNELS_ISA = "plain";
nativeKernelSuite("plain");
