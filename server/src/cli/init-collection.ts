// `context-engine init-collection`: creates the Qdrant collection and its payload indexes (the k8s Job runs it).
import { loadSettings } from "../config/index.ts";
import { createEmbedder } from "../embedding/index.ts";
import { createLogger } from "../log/index.ts";
import { EXIT, type CliIO } from "./io.ts";

export async function initCollectionCommand(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write("Usage: context-engine init-collection [--recreate]\n\n--recreate drops and rebuilds a collection made for another embedder.\nCreates COLLECTION_NAME in Qdrant (QDRANT_URL) with the dense and lexical vectors and payload indexes; idempotent.\n");
    return EXIT.ok;
  }
  const settings = loadSettings(io.env);
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  if (!settings.qdrantUrl) {
    io.stderr.write("init-collection needs QDRANT_URL (the embedded store creates its tables on first use).\n");
    return EXIT.failure;
  }
  const embedder = await createEmbedder(settings, log);
  const { initCollection } = await import("../store/qdrant/index.ts");
  await initCollection(settings, { embedder: embedder.name, dimension: embedder.dimension }, log, { recreate: argv.includes("--recreate") });
  io.stdout.write(`Collection ${settings.collectionName} ready at ${settings.qdrantUrl}\n`);
  return EXIT.ok;
}
