#!/usr/bin/env node
// The `kdrec` command: runs the built CLI (npm run setup builds it).
import { main } from "../dist/index.js";

process.exitCode = await main(process.argv.slice(2));
