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
    expect(log).toHaveBeenCalledWith("mf-128: 102400 parameters");
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(/^user 0 scores items 10 and 20 at -?\d\.\d{3} and -?\d\.\d{3}$/),
    );
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^user 0's top item: \d+$/));
  });
});
