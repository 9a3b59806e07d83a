// Fair scheduling and admission: lanes served round robin, and the estimate that turns saturation into a refusal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FairQueue, LoadGauge } from "../../server/src/search/lanes.ts";
import { CachedSearch, searchKey } from "../../server/src/search/cache.ts";
import type { CodeSearch, SearchOptions, SearchResponse } from "../../server/src/search/engine.ts";

describe("fair lanes", () => {
  it("a flood from one lane does not hold back another lane's single job", () => {
    const q = new FairQueue<string>();
    for (let i = 0; i < 100; i++) q.push("flood", `f${i}`);
    q.push("newcomer", "n0");
    assert.deepEqual([q.shift(), q.shift(), q.shift()], ["f0", "n0", "f1"]);
    assert.equal(q.size, 98);
  });

  it("serves lanes in turn, each in its own order, until all are empty", () => {
    const q = new FairQueue<string>();
    for (const [lane, job] of [["a", "a1"], ["a", "a2"], ["b", "b1"], ["c", "c1"], ["c", "c2"], ["a", "a3"]]) q.push(lane!, job!);
    const order: string[] = [];
    for (let j = q.shift(); j; j = q.shift()) order.push(j);
    assert.deepEqual(order, ["a1", "b1", "c1", "a2", "c2", "a3"]);
    assert.equal(q.size, 0);
  });
});

describe("admission", () => {
  const limits = { maxWaitMs: 1000, maxPerLane: 50, maxTotal: 120 };

  it("admits everything before the first service time is known", () => {
    const g = new LoadGauge(2, limits);
    for (let i = 0; i < 40; i++) g.enter("a");
    assert.equal(g.admit("b"), undefined);
  });

  it("refuses a flooding lane's next call while a new lane still gets in", () => {
    const g = new LoadGauge(2, limits);
    g.served(20);
    for (let i = 0; i < 49; i++) g.enter("flood");
    // The flood's next call waits behind its own 49: 49 / 2 x 20 + 20 = 510 ms; a newcomer's waits behind one of them.
    assert.equal(Math.round(g.expectedMs("flood")), 510);
    assert.equal(Math.round(g.expectedMs("new")), 30);
    g.enter("flood");
    const refusal = g.admit("flood");
    assert.match(refusal?.reason ?? "", /50 searches in flight/);
    assert.equal(g.admit("new"), undefined);
  });

  it("refuses when the answer is expected past the bound, with a Retry-After in whole seconds", () => {
    const g = new LoadGauge(1, limits);
    g.served(100);
    for (let lane = 0; lane < 12; lane++) g.enter(`l${lane}`);
    // Twelve lanes ahead at 100 ms each, one server: 1,300 ms.
    const refusal = g.admit("late");
    assert.ok(refusal);
    assert.equal(refusal.retryAfterSeconds, 2);
    assert.equal(g.refused, 1);
    for (let lane = 0; lane < 12; lane++) g.leave(`l${lane}`);
    assert.equal(g.admit("late"), undefined);
    assert.equal(g.calls, 0);
  });

  it("always admits a call a free server would take at once, however slow the last calls were", () => {
    const g = new LoadGauge(2, limits);
    g.served(5000); // one cold search on a loaded machine
    assert.equal(g.admit("a"), undefined, "nothing in flight");
    g.enter("a");
    assert.equal(g.admit("b"), undefined, "one server still free");
    g.enter("b");
    assert.ok(g.admit("c"), "both servers busy for seconds: refused");
    g.leave("a");
    g.leave("b");
    assert.equal(g.admit("c"), undefined, "free again");
  });

  it("bounds the calls in flight in all", () => {
    const g = new LoadGauge(4, limits);
    for (let i = 0; i < 120; i++) g.enter(`l${i}`);
    assert.match(g.admit("x")?.reason ?? "", /120 searches are in flight/);
  });
});

describe("the result cache", () => {
  const response = (text: string): SearchResponse => ({ results: [], query: { text, terms: [text], filter: {} }, took_ms: 5 });
  function counting(): CodeSearch & { calls: number } {
    const inner = { calls: 0, async search(raw: string) { inner.calls++; return response(raw); } };
    return inner;
  }

  it("keys on the query and every option, whatever their order", () => {
    const a: SearchOptions = { limit: 5, filter: { under: "src/", language: ["python"] } };
    const b: SearchOptions = { filter: { language: ["python"], under: "src/" }, limit: 5 };
    assert.equal(searchKey("q", a), searchKey("q", b));
    assert.notEqual(searchKey("q", a), searchKey("q", { ...a, limit: 6 }));
    assert.notEqual(searchKey("q", a), searchKey("Q", a));
  });

  it("answers a repeat from the cache until the generation changes", async () => {
    let generation = "1";
    const inner = counting();
    const cached = new CachedSearch(inner, { generation: () => generation });
    await cached.search("a");
    const again = await cached.search("a");
    assert.equal(inner.calls, 1);
    assert.equal(again.query.text, "a");
    generation = "2";
    await cached.search("a");
    assert.equal(inner.calls, 2);
    assert.deepEqual(cached.stats, { hits: 1, misses: 2, entries: 1 });
  });

  it("hands out copies: a caller changing its answer does not change the next", async () => {
    const cached = new CachedSearch(counting(), { generation: () => "1" });
    const first = await cached.search("a");
    first.query.terms.push("changed");
    assert.deepEqual((await cached.search("a")).query.terms, ["a"]);
  });

  it("keeps at most its capacity, least recently used out first", async () => {
    const inner = counting();
    const cached = new CachedSearch(inner, { generation: () => "1" }, 2);
    await cached.search("a");
    await cached.search("b");
    await cached.search("a");
    await cached.search("c");
    await cached.search("a");
    assert.equal(inner.calls, 3);
    await cached.search("b");
    assert.equal(inner.calls, 4);
  });

  it("passes every call through when the store cannot tell its generation", async () => {
    const inner = counting();
    const cached = new CachedSearch(inner, {});
    await cached.search("a");
    await cached.search("a");
    assert.equal(inner.calls, 2);
  });
});
