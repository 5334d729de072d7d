// Wall-clock timing of backend work: warm up first (kernels compile, buffers allocate), then
// time a fixed number of repetitions, waiting for the backend before stopping the clock.
import { performance } from "node:perf_hooks";

/** Mean seconds per call of `step` over `reps` calls, after `warmup` untimed calls. */
export const secondsPerCall = async (step: () => Promise<void>, reps: number, warmup = 1): Promise<number> => {
  for (let i = 0; i < warmup; i++) await step();
  const start = performance.now();
  for (let i = 0; i < reps; i++) await step();
  return (performance.now() - start) / 1000 / reps;
};
