// Engines over temp folders, wired from real parts (SQLite store, tree-sitter, fixture embedders).
import path from "node:path";
import { loadSettings } from "../../server/src/config/index.ts";
import type { Embedder } from "../../server/src/embedding/types.ts";
import { openEngine, type Engine } from "../../server/src/engine.ts";
import { silentLogger } from "../../server/src/log/index.ts";
import { FIXTURES, tempDir, writeTree } from "./tmp.ts";

export const MODEL2VEC_FIXTURE = path.join(FIXTURES, "models", "model2vec-vocab-quantized");

export async function lexicalEngine(root: string, env: Record<string, string> = {}): Promise<Engine> {
  return openEngine({ root, settings: loadSettings({ EMBEDDING_PROVIDER: "none", ...env }), log: silentLogger });
}

/** A temp folder holding `tree`, indexed lexical-only; `dispose` closes the engine and removes the folder. */
export async function indexedLexicalRepo(tree: Record<string, string>): Promise<{ dir: string; engine: Engine; dispose: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  writeTree(dir, tree);
  const engine = await lexicalEngine(dir);
  await engine.index();
  return { dir, engine, dispose: async () => { await engine.close(); cleanup(); } };
}

export async function model2vecEngine(root: string, env: Record<string, string> = {}): Promise<Engine> {
  return openEngine({
    root,
    settings: loadSettings({ EMBEDDING_PROVIDER: "model2vec", EMBEDDING_MODEL: MODEL2VEC_FIXTURE, ...env }),
    log: silentLogger,
  });
}

/** Wraps an embedder and counts the texts it embeds (to prove work was not redone). */
export function countingEmbedder(inner: Embedder): Embedder & { calls: number; texts: number } {
  const wrapper = {
    name: inner.name,
    dimension: inner.dimension,
    calls: 0,
    texts: 0,
    async embed(texts: string[]) {
      wrapper.calls++;
      wrapper.texts += texts.length;
      return inner.embed(texts);
    },
  };
  return wrapper;
}

export const SAMPLE_REPO: Record<string, string> = {
  "src/session.py": `import os


class Session:
    """A session keeps cookies and settings across requests."""

    def __init__(self):
        self.hooks = {}
        self.cookies = {}

    def register_hook(self, event, hook):
        """Register a hook for an event; a list of hooks is accepted too."""
        if isinstance(hook, list):
            self.hooks.setdefault(event, []).extend(hook)
        else:
            self.hooks.setdefault(event, []).append(hook)

    def request(self, method, url):
        for hook in self.hooks.get("pre", []):
            hook(method, url)
        return send(method, url)


def send(method, url):
    return (method, url)
`,
  "src/util/strings.ts": `export function camelToSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

export class TokenBucket {
  private tokens = 0;
  constructor(private readonly rate: number) {}
  take(): boolean {
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }
}
`,
  "tests/test_session.py": `from src.session import Session


def test_register_hook_accepts_list():
    s = Session()
    s.register_hook("pre", [print, print])
    assert len(s.hooks["pre"]) == 2
`,
  "docs/guide.md": `# Guide

## Hooks

Use register_hook to add a hook to a Session.

## Cookies

Cookies persist across requests.
`,
  "config/settings.yaml": "retries: 3\ntimeout_seconds: 10\n",
};
