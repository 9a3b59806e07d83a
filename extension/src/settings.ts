// The extension's settings (contextEngine.*), read in one place into a typed object.
import * as vscode from "vscode";
import type { ClusterSettings } from "./cluster/index.ts";

export type Mode = "auto" | "local" | "cluster" | "off";

export interface Settings {
  mode: Mode;
  cluster: ClusterSettings;
  repoName: string;
  syncOnOpen: boolean;
  syncExclude: string[];
  urls: { indexer: string; memory: string; uploader: string };
  local: { serverPath: string; nodePath: string; embeddingProvider: string };
  maxResults: number;
}

export const SECTION = "contextEngine";
export const TOKEN_SECRET = "contextEngine.token";

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const str = (k: string, d = "") => (c.get<string>(k) ?? d).trim();
  return {
    mode: (c.get<Mode>("mode") ?? "auto") as Mode,
    cluster: {
      path: str("kubeconfig"),
      context: str("context"),
      namespace: str("namespace", "context-engine") || "context-engine",
      imageRegistry: str("image.registry"),
      imageTag: str("image.tag"),
      skipLlamaCpp: c.get<boolean>("skipLlamaCpp") ?? false,
      deployIngress: c.get<boolean>("deployIngress") ?? false,
      rolloutTimeoutSeconds: c.get<number>("rolloutTimeoutSeconds") ?? 600,
    },
    repoName: str("repoName"),
    syncOnOpen: c.get<boolean>("syncOnOpen") ?? true,
    syncExclude: c.get<string[]>("sync.exclude") ?? [],
    urls: { indexer: str("urls.indexer"), memory: str("urls.memory"), uploader: str("urls.uploader") },
    local: { serverPath: str("local.serverPath"), nodePath: str("local.nodePath", "node") || "node", embeddingProvider: str("local.embeddingProvider") },
    maxResults: c.get<number>("search.maxResults") ?? 20,
  };
}

/** The direct URLs replace port-forwarding when the indexer URL is set. */
export function usesDirectUrls(s: Settings): boolean {
  return !!s.urls.indexer;
}

/** "http://host:8003" -> "http://host:8003/mcp"; URLs that name a path are kept. */
export function mcpUrl(u: string): string {
  const url = new URL(u);
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/mcp";
  return url.toString();
}
