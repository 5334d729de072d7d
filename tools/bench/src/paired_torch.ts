// PyTorch measuring bench:train's work on request, in a child process that stays up for the run
// (tools/bench/pytorch/bench_train.py --serve), so that each PyTorch figure is measured just before
// kdrec's figure beside it: this VM's speed drifts by a quarter within minutes, and a ratio of two
// figures measured minutes apart carries that drift.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { datasetDir } from "@kdrec/testing/shared-data";

/** One measurement of `bench_train.py`: interactions/s (train, distill) or ms (top10). */
export type TorchRequest =
  | { readonly work: "train"; readonly dim: number; readonly sparse: boolean }
  | { readonly work: "distill"; readonly dim: number; readonly sparse: boolean; readonly loss: string }
  | { readonly work: "top10"; readonly dim: number };

/** A PyTorch process answering {@link TorchRequest}s one at a time. */
export interface PairedTorch {
  /** What runs (PyTorch's version, threads, the training split's size). */
  readonly what: string;
  measure(request: TorchRequest): Promise<number>;
  close(): void;
}

const pytorchDir = join(dirname(fileURLToPath(import.meta.url)), "..", "pytorch");

// After PyTorch's measurement its OpenMP threads spin a while before they sleep: kdrec's
// measurement starts once they have stopped (libgomp spins for well under this).
const SETTLE_MS = 500;

/**
 * Starts PyTorch beside the bench (`{ torch }`), or says why not (`{ why }`): no virtualenv yet
 * (`npm run bench:pytorch` makes it), `KDREC_TORCH_PAIRED=0`, or the process failed to start.
 */
export const startPairedTorch = async (): Promise<{ torch?: PairedTorch; why?: string }> => {
  if (process.env.KDREC_TORCH_PAIRED === "0") return { why: "KDREC_TORCH_PAIRED=0" };
  const python = join(pytorchDir, ".venv", "bin", "python");
  if (!existsSync(python)) return { why: `no ${python} (npm run bench:pytorch makes it)` };
  const child = spawn(python, [join(pytorchDir, "bench_train.py"), datasetDir("ml-100k"), "--serve"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // Answers arrive in request order: each waiter takes the next line; an exit fails the rest.
  const waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let ended: Error | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.resolve(line));
  child.on("exit", (code) => {
    ended = new Error(`bench_train.py --serve exited (${code})`);
    for (const waiter of waiting.splice(0)) waiter.reject(ended);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => (ended === undefined ? waiting.push({ resolve, reject }) : reject(ended)));
  try {
    const { what } = JSON.parse(await nextLine()) as { what: string };
    return {
      torch: {
        what,
        measure: async (request) => {
          child.stdin.write(`${JSON.stringify(request)}\n`);
          const { value } = JSON.parse(await nextLine()) as { value: number };
          await new Promise((settle) => setTimeout(settle, SETTLE_MS));
          return value;
        },
        close: () => child.stdin.end(),
      },
    };
  } catch (error) {
    child.kill();
    return { why: (error as Error).message };
  }
};
