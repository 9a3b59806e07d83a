import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSettings, SettingsError, repoNameFor, storePathFor } from "../../server/src/config/index.ts";

describe("settings", () => {
  it("has the documented defaults when the environment is empty", () => {
    const s = loadSettings({});
    assert.equal(s.collectionName, "codebase");
    assert.equal(s.memoryCollection, "codebase");
    assert.equal(s.qdrantUrl, undefined);
    assert.equal(s.embeddingProvider, "transformers");
    assert.equal(s.embeddingModel, "BAAI/bge-base-en-v1.5");
    assert.equal(s.indexMicroChunks, true);
    assert.equal(s.maxMicroChunksPerFile, 200);
    assert.equal(s.watchDebounceSecs, 1.5);
    assert.equal(s.logLevel, "info");
  });

  it("reads typed values from the environment", () => {
    const s = loadSettings({ QDRANT_URL: "http://qdrant:6333/", INDEX_MICRO_CHUNKS: "0", MAX_MICRO_CHUNKS_PER_FILE: "50", WATCH_DEBOUNCE_SECS: "0.2", EMBEDDING_PROVIDER: "None", MEMORY_COLLECTION: "mem" });
    assert.equal(s.qdrantUrl, "http://qdrant:6333");
    assert.equal(s.indexMicroChunks, false);
    assert.equal(s.maxMicroChunksPerFile, 50);
    assert.equal(s.watchDebounceSecs, 0.2);
    assert.equal(s.embeddingProvider, "none");
    assert.equal(s.memoryCollection, "mem");
  });

  const bad: [string, string, RegExp][] = [
    ["EMBEDDING_PROVIDER", "openai", /EMBEDDING_PROVIDER="openai".*one of transformers, model2vec, none/],
    ["MAX_MICRO_CHUNKS_PER_FILE", "-3", /MAX_MICRO_CHUNKS_PER_FILE="-3".*integer from 1/],
    ["INDEX_MICRO_CHUNKS", "maybe", /INDEX_MICRO_CHUNKS="maybe"/],
    ["WATCH_DEBOUNCE_SECS", "soon", /WATCH_DEBOUNCE_SECS="soon".*number/],
    ["QDRANT_URL", "qdrant:6333", /QDRANT_URL="qdrant:6333".*http\(s\) URL/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL="loud"/],
    ["COLLECTION_NAME", "a b", /COLLECTION_NAME="a b"/],
  ];
  for (const [key, value, message] of bad) {
    it(`rejects ${key}=${value} with one line naming the key, the value and what is allowed`, () => {
      assert.throws(() => loadSettings({ [key]: value }), (e: unknown) => {
        assert.ok(e instanceof SettingsError);
        assert.match(e.message, message);
        assert.equal(e.message.split("\n").length, 1);
        return true;
      });
    });
  }

  it("puts the embedded store in <root>/.codebase unless STORE_PATH names one, and tags points with the folder name", () => {
    assert.equal(storePathFor(loadSettings({}), "/x/repo"), "/x/repo/.codebase/index.db");
    assert.equal(storePathFor(loadSettings({ STORE_PATH: "/data/one.db" }), "/x/repo"), "/data/one.db");
    assert.equal(repoNameFor(loadSettings({}), "/x/my-repo"), "my-repo");
    assert.equal(repoNameFor(loadSettings({ REPO_NAME: "backend" }), "/x/my-repo"), "backend");
  });
});
