// One writer per repo (DESIGN.md section 7): where WATCHER_URL is set (the cluster), the MCP servers never index
// or prune themselves. Several indexer replicas, the HTTP server and the watcher would otherwise write the same
// repo's points and its state.json on the shared volume at once; instead they ask the repo's watcher.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { watcherUrlFor } from "../sync/watcher-notify.ts";
import type { McpContext } from "./context.ts";
import { toolResult } from "./render.ts";

/** The repo a maintenance tool is about, checked against the served folder (no engine is opened). */
export function delegatedRepo(ctx: McpContext, repo: string | undefined): string {
  const name = !repo || repo === "*" ? (ctx.multiRepo ? undefined : ctx.defaultRepo) : repo;
  const known = ctx.repos();
  if (!name) throw new Error(`this server serves a folder of repos (${ctx.root}): name one with "repo" (${known.join(", ") || "none yet"})`);
  if (!known.includes(name)) throw new Error(`unknown repo "${name}" (repos: ${known.join(", ") || "none yet"})`);
  return name;
}

/** Asks the repo's watcher for an incremental re-index (which also drops the points of deleted files). */
export async function askWatcherToReindex(ctx: McpContext, repo: string, what: string): Promise<CallToolResult> {
  const template = ctx.settings.watcherUrl!;
  const url = `${watcherUrlFor(template, repo)}/reindex`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(ctx.settings.token ? { authorization: `Bearer ${ctx.settings.token}` } : {}) },
      body: "{}",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(`could not reach the watcher of "${repo}" at ${url} (${cause}): it is the only process that indexes "${repo}" here; start it (make watcher REPO=${repo}, or open the workspace in VS Code) and try again`);
  }
  if (!res.ok) throw new Error(`the watcher of "${repo}" at ${url} answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return toolResult(
    `Asked the watcher of ${repo} to ${what}: it is the only writer of ${repo}'s points and re-indexes in the background (unchanged files are skipped). qdrant_status shows its progress.`,
    { repo, delegated_to: url.replace(/\/reindex$/, ""), status: "queued" },
  );
}

/** Why `recreate` is refused, or undefined when it may run. */
export function recreateRefusal(ctx: McpContext, confirm: string | undefined): string | undefined {
  if (ctx.settings.watcherUrl) {
    return `recreate drops the collection "${ctx.settings.collectionName}" of every repository and is not done by a (possibly scaled) MCP server in the cluster: ` +
      `run the init-collection Job again after deleting the collection, or re-deploy with an empty qdrant-storage`;
  }
  if (confirm !== ctx.settings.collectionName) {
    return `recreate drops the whole collection "${ctx.settings.collectionName}" (every repository's points and memories): pass confirm: "${ctx.settings.collectionName}" to do it`;
  }
  return undefined;
}
