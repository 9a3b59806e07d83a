// `context-engine search`: a one-shot search of an indexed folder. It opens only what searching needs (the store,
// the query embedder when the index has vectors), not the indexer: its start-up time is most of a search's.
import { existsSync } from "node:fs";
import { loadSettings, storePathFor } from "../config/index.ts";
import { openSearcher } from "../engine.ts";
import { createLogger } from "../log/index.ts";
import { renderGrouped, type SearchResult } from "../search/index.ts";
import { dirArg, parse, printHelp, repoArg, wantsHelp } from "./args.ts";
import { EXIT, UsageError, type CliIO } from "./io.ts";

export const SEARCH_HELP = `Usage: context-engine search QUERY [--root DIR] [--limit N] [--lang L] [--under P] [--json]

Hybrid (lexical + dense) search of an indexed folder. Inline filters work too: "lang:python under:src/ parse header".

Options:
  --root DIR    the indexed folder (default: the current folder)
  --limit N     results to show (default 10)
  --lang L      only this language (python, typescript, go, ...)
  --under P     only paths under this folder
  --kind K      code | test | doc | config
  --repo NAME   search this repo tag ("*" = every repo in the store)
  --json        print {results, query, took_ms} as JSON
  -h, --help    show this help`;

export async function searchCommand(argv: string[], io: CliIO): Promise<number> {
  if (wantsHelp(argv)) return printHelp(io, SEARCH_HELP);
  const { values, positionals } = parse(argv, {
    root: { type: "string" }, limit: { type: "string" }, lang: { type: "string" }, under: { type: "string" },
    kind: { type: "string" }, repo: { type: "string" }, json: { type: "boolean" },
  });
  const query = positionals.join(" ").trim();
  if (!query) throw new UsageError("search needs a QUERY");
  const limit = values.limit === undefined ? 10 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`--limit must be an integer from 1 to 200, got ${values.limit}`);
  repoArg(values.repo, true);
  const root = dirArg(io, values.root);
  const settings = loadSettings(io.env);
  if (!settings.qdrantUrl && !existsSync(storePathFor(settings, root))) {
    io.stderr.write(`No index at ${storePathFor(settings, root)}: run \`context-engine index ${root}\` first.\n`);
    return EXIT.failure;
  }
  const log = createLogger({ level: settings.logLevel, stream: io.stderr });
  const engine = await openSearcher({ root, settings, log, ...(values.repo ? { repo: values.repo } : {}) });
  try {
    const filter = {
      ...(values.lang ? { language: values.lang.split(",") } : {}),
      ...(values.under ? { under: values.under } : {}),
      ...(values.kind ? { kind: values.kind.split(",") as SearchResult["kind"][] as never } : {}),
      ...(values.repo ? { repo: values.repo } : {}),
    };
    const res = await engine.search.search(query, { limit, filter });
    if (values.json) io.stdout.write(JSON.stringify(res, null, 2) + "\n");
    else io.stdout.write(renderGrouped(res.results, { tookMs: res.took_ms, why: true, ...(res.note ? { note: res.note } : {}) }) + "\n");
    return EXIT.ok;
  } finally {
    await engine.close();
  }
}
