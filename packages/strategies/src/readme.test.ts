import { fileURLToPath } from "node:url";
import { readmeExample } from "@kdrec/testing";
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

describe("README example", () => {
  it("is the code of examples/readme.ts, and runs", async () => {
    const { shown, file } = readmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(shown).toBe(file);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await import("../examples/readme.js");
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      "one-way soft-label (α=0.8, T=0.5, 100 candidates, 5×40 epochs, fine-tune 20)",
      "bpr + soft-label-ce",
      "one-way ranking (α=0.5, top 10, λ=5, 5×40 epochs, fine-tune 20)",
    ]);
  });
});
