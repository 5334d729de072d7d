// The kernels with the best selection this CPU has (the CI machine has AVX-512).
import { nativeKernelSuite } from "./kernel_suite.js";

nativeKernelSuite("avx512");
