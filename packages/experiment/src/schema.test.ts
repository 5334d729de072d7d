// The committed JSON Schema of the run config is the one the codecs generate, and it agrees with
// them: every example config validates, a misspelt key or an unknown kind does not.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXPERIMENT, experimentJsonSchema } from "./spec.js";

const root = join(import.meta.dirname, "../../..");
const committed = JSON.parse(readFileSync(join(root, "docs/kdrec-config.schema.json"), "utf8"));
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(experimentJsonSchema());
const examples = [
  ...["ml-100k", "amazon-mi"].flatMap((dir) =>
    readdirSync(join(root, "examples", dir))
      .filter((f) => f.endsWith(".json"))
      .map((f) => join(root, "examples", dir, f)),
  ),
  ...["tower-ml-100k.json", "tower-synthetic.json"].map((f) => join(root, "examples/browser", f)),
];

describe("the config's JSON Schema", () => {
  it("is committed as generated (run `npm run schema` after changing a codec)", () => {
    expect(committed).toEqual(experimentJsonSchema());
  });

  it("accepts every example config and the default experiment", () => {
    expect(examples.length).toBeGreaterThanOrEqual(14);
    for (const path of examples) {
      const ok = validate(JSON.parse(readFileSync(path, "utf8")));
      expect(ok ? path : `${path}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(path);
    }
    expect(validate(DEFAULT_EXPERIMENT)).toBe(true);
  });

  it("refuses a misspelt key, an unknown kind and a value out of range", () => {
    const student = DEFAULT_EXPERIMENT.students[1]!;
    const variants = [
      { ...DEFAULT_EXPERIMENT, students: [{ ...student, stratgy: student.strategy }] },
      { ...DEFAULT_EXPERIMENT, students: [{ ...student, strategy: { kind: "three-way" } }] },
      { ...DEFAULT_EXPERIMENT, students: [{ ...student, strategy: { ...student.strategy, alpha: 1.5 } }] },
      { ...DEFAULT_EXPERIMENT, protocol: { name: "leave-last-out", validRatio: 0.1 } },
    ];
    for (const config of variants) expect(validate(config)).toBe(false);
  });
});
