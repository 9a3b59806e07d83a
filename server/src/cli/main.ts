// `context-engine`: the one executable of every role (CLI, MCP servers, watcher, uploader). Exit codes: 0 ok,
// 1 failure, 2 usage.
// Startup is part of the product: this file imports nothing heavy, and each command loads its own modules when run.
import { fileURLToPath } from "node:url";
import { SettingsError } from "../config/index.ts";
import { VERSION } from "../version.ts";
import { EXIT, UsageError, processIO, type CliIO } from "./io.ts";

export const MAIN_HELP = `Usage: context-engine <command> [options]

Commands:
  index [DIR]                         index a folder (incremental after the first run)
  search QUERY [--root DIR]           hybrid code search of an indexed folder
  status [DIR]                        index state of a folder
  serve memory|indexer [options]      run an MCP server (SSE /sse + Streamable HTTP /mcp, or --transport stdio)
  serve upload [--port 8004] [--repos DIR]   run the workspace uploader
  watch [--root DIR] [--repo NAME]    keep a folder's index fresh as files change
  upload --repo NAME --url URL [--path DIR]  sync a folder to an uploader (delta protocol)
  init-collection                     create the Qdrant collection and payload indexes (QDRANT_URL)

Run \`context-engine <command> --help\` for a command's options. Settings come from the environment
(COLLECTION_NAME, QDRANT_URL, EMBEDDING_PROVIDER, EMBEDDING_MODEL, ...; see the README).`;

type Command = (argv: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  index: async (argv, io) => (await import("./commands.ts")).indexCommand(argv, io),
  search: async (argv, io) => (await import("./search-command.ts")).searchCommand(argv, io),
  status: async (argv, io) => (await import("./commands.ts")).statusCommand(argv, io),
  serve: async (argv, io) => (await import("./serve.ts")).serveCommand(argv, io),
  watch: async (argv, io) => (await import("../watch/index.ts")).watchCommand(argv, io),
  upload: async (argv, io) => (await import("../sync/index.ts")).uploadCommand(argv, io),
  "init-collection": async (argv, io) => (await import("./init-collection.ts")).initCollectionCommand(argv, io),
};

export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(MAIN_HELP + "\n");
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`context-engine ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`context-engine: unknown command "${name}"\n\n${MAIN_HELP}\n`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`context-engine ${name}: ${e.message}\nRun \`context-engine ${name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof SettingsError) {
      io.stderr.write(`context-engine: ${e.message}\n`);
      return EXIT.failure;
    }
    const err = e as Error;
    io.stderr.write(`context-engine ${name}: ${err.message}\n`);
    if (io.env.LOG_LEVEL === "debug" && err.stack) io.stderr.write(err.stack + "\n");
    return EXIT.failure;
  }
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
const isBundle = import.meta.url.endsWith("/dist/cli.js");
if (isMain || isBundle) {
  run(process.argv.slice(2)).then(
    (code) => {
      // Servers and watchers keep running; one-shot commands end here.
      if (code !== -1) process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`context-engine: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
