// Every TSDoc `@example` of every package, compiled against the packages' current API: each
// block becomes a module that imports what it names from the kdrec packages (and fp-ts's `E`,
// `pipe`, TF.js's `tf`), wrapped in an async function. Names the snippet takes from its context
// (`interactions`, `model`…) are declared `any` — found as "Cannot find name" in a first pass —
// so what remains are real mistakes: a wrong argument, a missing field, a renamed export.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const scratch = mkdtempSync(join(root, "tools/packaging/.examples-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sources = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") ? [path] : [];
  });

/** Each `@example` code block of a source file, with where it is. */
const examplesOf = (file) => {
  const text = readFileSync(file, "utf8");
  const blocks = [];
  for (const match of text.matchAll(/@example\s*\n((?:\s*\*.*\n)+?)\s*\*\s*(?:@|\/)/g)) {
    const body = match[1].split("\n").map((line) => line.replace(/^\s*\* ?/, ""));
    const code = /```ts\n([\s\S]*?)```/.exec(body.join("\n"))?.[1];
    if (code !== undefined) blocks.push({ code, line: text.slice(0, match.index).split("\n").length });
  }
  return blocks;
};

const packages = readdirSync(join(root, "packages"))
  .map((dir) => JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")))
  .filter((manifest) => manifest.private !== true);
const doors = packages.flatMap((manifest) =>
  Object.keys(manifest.exports ?? { ".": null }).map((key) =>
    key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`,
  ),
);

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  types: ["node"],
  customConditions: ["@kdrec/source"],
};

/** Each door's exported names. */
const exportsOfDoors = () => {
  const probe = join(scratch, "doors.ts");
  writeFileSync(probe, doors.map((door, k) => `import * as d${k} from "${door}";\nvoid d${k};`).join("\n"));
  const program = ts.createProgram([probe], options);
  const checker = program.getTypeChecker();
  const byDoor = new Map();
  const file = program.getSourceFile(probe);
  file.statements.filter(ts.isImportDeclaration).forEach((statement, k) => {
    const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
    if (symbol === undefined) throw new Error(`cannot resolve ${doors[k]}`);
    byDoor.set(
      doors[k],
      checker.getExportsOfModule(symbol).map((exported) => exported.name),
    );
  });
  return byDoor;
};

/** The doors an example of `manifest`'s package can see: its own and its kdrec dependencies'. */
const visibleDoors = (manifest) => {
  const names = new Set([
    manifest.name,
    ...Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies }),
  ]);
  return doors.filter((door) => names.has(door.split("/").slice(0, 2).join("/")));
};

const EXTERNAL = {
  E: 'import * as E from "fp-ts/lib/Either.js";',
  TE: 'import * as TE from "fp-ts/lib/TaskEither.js";',
  pipe: 'import { pipe } from "fp-ts/lib/function.js";',
  tf: 'import * as tf from "@tensorflow/tfjs-core";',
  t: 'import * as t from "io-ts";',
};

describe("TSDoc @example blocks", () => {
  it("compile against the packages' current API", () => {
    const byDoor = exportsOfDoors();
    const modules = [];
    for (const manifest of packages) {
      // Its own package first: a name it exports is the one its examples mean.
      const byName = new Map();
      const own = visibleDoors(manifest).sort(
        (a, b) => Number(!a.startsWith(manifest.name)) - Number(!b.startsWith(manifest.name)),
      );
      for (const door of own) for (const name of byDoor.get(door)) if (!byName.has(name)) byName.set(name, door);
      const dir = join(root, "packages", manifest.name.replace("@kdrec/", ""), "src");
      for (const file of sources(dir))
        for (const { code: block, line } of examplesOf(file)) {
          // An example's own imports go to the top of its module.
          const own = block.split("\n").filter((l) => l.startsWith("import "));
          const code = block
            .split("\n")
            .filter((l) => !l.startsWith("import "))
            .join("\n");
          const words = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
          const imports = new Map();
          for (const word of words) {
            const door = byName.get(word);
            if (door !== undefined) imports.set(door, [...(imports.get(door) ?? []), word]);
          }
          const header = [
            ...own,
            ...[...imports].map(([door, names]) => `import { ${names.join(", ")} } from "${door}";`),
            ...Object.entries(EXTERNAL)
              .filter(([name]) => words.has(name) && !byName.has(name))
              .map(([, statement]) => statement),
          ];
          modules.push({ where: `${relative(root, file)}:${line}`, header, code });
        }
    }
    expect(modules.length).toBeGreaterThan(60);

    const write = (declared) =>
      modules.map(({ header, code }, k) => {
        const path = join(scratch, `example-${k}.ts`);
        const declarations = [...(declared.get(k) ?? [])].map((name) => `declare const ${name}: any;`);
        writeFileSync(
          path,
          `${header.join("\n")}\n${declarations.join("\n")}\nexport async function example() {\n${code}}\n`,
        );
        return path;
      });
    const diagnose = (files) => {
      const program = ts.createProgram(files, options);
      return files.map((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)));
    };
    // First pass: names the snippet takes from its context.
    const context = new Map();
    diagnose(write(new Map())).forEach((diagnostics, k) => {
      // Cannot find name; did you mean; a shorthand property with no value in scope.
      for (const d of diagnostics)
        if (d.code === 2304 || d.code === 2552 || d.code === 18004) {
          const name = /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, "\n"))?.[1];
          if (name !== undefined) context.set(k, new Set([...(context.get(k) ?? []), name]));
        }
    });
    const problems = diagnose(write(context)).flatMap((diagnostics, k) =>
      diagnostics
        .filter((d) => d.code !== 6133 && d.code !== 6192) // an unused import or local is fine in a snippet
        .map((d) => `${modules[k].where}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`),
    );
    expect(problems).toEqual([]);
  }, 180_000);
});

mkdirSync(scratch, { recursive: true });
