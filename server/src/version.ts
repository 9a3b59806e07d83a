// The server's version, as server/package.json states it (test/unit/cli-package.test.ts keeps the two equal): a
// constant, so that `--version` reads no file.
export const VERSION = "0.1.0";
