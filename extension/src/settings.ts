// The extension's settings (contextEngine.*), read in one place into a typed object.
import * as vscode from "vscode";
import type { ClusterSettings } from "./cluster/index.ts";
import type { RuntimeChoice } from "./local/runtime.ts";

export type Mode = "auto" | "local" | "cluster" | "off";

export interface Settings {
  mode: Mode;
  cluster: ClusterSettings;
  syncOnOpen: boolean;
  syncExclude: string[];
  urls: { indexer: string; memory: string; uploader: string };
  local: { serverPath: string; runtime: RuntimeChoice; nodePath: string; embeddingProvider: string };
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
    syncOnOpen: c.get<boolean>("syncOnOpen") ?? true,
    syncExclude: c.get<string[]>("sync.exclude") ?? [],
    urls: { indexer: str("urls.indexer"), memory: str("urls.memory"), uploader: str("urls.uploader") },
    local: {
      serverPath: str("local.serverPath"),
      runtime: (["auto", "editor", "node"].includes(str("local.runtime")) ? str("local.runtime") : "auto") as RuntimeChoice,
      nodePath: str("local.nodePath", "node") || "node",
      embeddingProvider: str("local.embeddingProvider"),
    },
    maxResults: c.get<number>("search.maxResults") ?? 20,
  };
}

/** The repo name of one workspace folder: its own contextEngine.repoName (a folder setting), else from its name. */
export function folderRepoSetting(folder: vscode.WorkspaceFolder): string {
  return (vscode.workspace.getConfiguration(SECTION, folder.uri).get<string>("repoName") ?? "").trim();
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
