// Writes docs/kdrec-config.schema.json from the codecs (npm run schema; needs the build). The
// experiment package's schema test fails when the committed file is not what this writes.
import { writeFileSync } from "node:fs";
import { experimentJsonSchema } from "@kdrec/experiment";

const path = new URL("../../docs/kdrec-config.schema.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
