// Writes the JSON Schemas generated from the codecs (npm run schema; needs the build):
// docs/kdrec-config.schema.json (run configs) and docs/kdrec-model-bundle.schema.json (a model
// bundle's model.json). The experiment package's tests fail when a committed file is stale.
import { writeFileSync } from "node:fs";
import { experimentJsonSchema } from "@kdrec/experiment";
import { modelJsonSchema } from "@kdrec/serving";

for (const [file, schema] of [
  ["kdrec-config.schema.json", experimentJsonSchema()],
  ["kdrec-model-bundle.schema.json", modelJsonSchema()],
]) {
  const path = new URL(`../../docs/${file}`, import.meta.url);
  writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${path.pathname}`);
}
