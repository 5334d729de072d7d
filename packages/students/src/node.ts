/**
 * `@kdrec/students/node`: what only Node can do — {@link startKernelPool}, a pool of worker
 * threads that run the row kernels over a shared arena (both cores for `MatrixFactorization.topK`).
 * @packageDocumentation
 */
export { startKernelPool } from "./node_kernel_pool.js";
