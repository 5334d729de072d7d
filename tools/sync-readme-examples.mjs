#!/usr/bin/env node
// Copies each package's examples/readme.ts into the ```ts block under "## Example" in its
// README.md, so the README shows exactly the code the tests run (they fail when the two differ).
// Run after editing or formatting an example: `npm run sync-readmes`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

for (const name of readdirSync("packages")) {
  const example = join("packages", name, "examples/readme.ts");
  const readme = join("packages", name, "README.md");
  if (!existsSync(example) || !existsSync(readme)) continue;
  const text = readFileSync(readme, "utf8");
  // The block under "## Example" (a README may show other snippets before it).
  const synced = text.replace(
    /(## Example\n[\s\S]*?)```ts\n[\s\S]*?```/,
    (_, before) => `${before}\`\`\`ts\n${readFileSync(example, "utf8")}\`\`\``,
  );
  if (synced !== text) {
    writeFileSync(readme, synced);
    console.log(`updated ${readme}`);
  }
}
