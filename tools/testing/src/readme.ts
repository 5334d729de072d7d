// Keeps a package README's example honest: the ```ts block it shows must be examples/readme.ts
// (which the package's tests then run and the type checker checks).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The README's first TypeScript block and the example file's text, for a test to compare. */
export const readmeExample = (packageDir: string): { shown: string | undefined; file: string } => ({
  shown: /```ts\n([\s\S]*?)```/.exec(readFileSync(join(packageDir, "README.md"), "utf8"))?.[1],
  file: readFileSync(join(packageDir, "examples/readme.ts"), "utf8"),
});
