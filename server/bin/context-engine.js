#!/usr/bin/env node
// Launcher of the bundled CLI (server/dist/cli.js, built by `npm run build` in the project root).
import { existsSync } from "node:fs";

const bundle = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write("context-engine: the CLI is not built yet: run `npm run build` in the project root.\n");
  process.exit(1);
}
await import(bundle.href);
