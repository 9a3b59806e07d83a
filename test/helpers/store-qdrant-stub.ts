// A stub Qdrant REST server on loopback: records every request and answers the way Qdrant's REST API does for
// the calls the store makes, keeping collections and points in memory and evaluating filters and scores as
// store-qdrant-stub-semantics.ts models them. A test can script any answer ahead of that (errors, odd pages).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { facet, matchesFilter, score, scroll, selectPayload, selectVector, type StoredPoint } from "./store-qdrant-stub-semantics.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  headers: http.IncomingHttpHeaders;
}

export interface StubAnswer {
  status?: number;
  result?: unknown;
  /** Qdrant's error text, sent as {status: {error}}. */
  error?: string;
  /** Sent as is, without Qdrant's {result, status, time} envelope (the root route answers so). */
  raw?: unknown;
  /** Never answer (a hung server); the connection is closed by stop(). */
  hang?: boolean;
}

type Scripted = (req: RecordedRequest) => StubAnswer | undefined;

interface StubCollection {
  config: any;
  payloadSchema: Record<string, { data_type: string }>;
  points: Map<string, StoredPoint>;
}

export class QdrantStub {
  readonly requests: RecordedRequest[] = [];
  readonly collections = new Map<string, StubCollection>();
  private readonly scripts: { method: string; path: RegExp; answer: Scripted; times: number }[] = [];
  private server: http.Server | undefined;
  url = "";

  /** Answers matching requests with `answer` (`times` times, default forever) before the default behaviour. */
  on(method: string, path: RegExp, answer: Scripted | StubAnswer, times = Infinity): void {
    this.scripts.push({ method, path, answer: typeof answer === "function" ? answer : () => answer, times });
  }

  /** The recorded requests with this method and a path matching `path`. */
  find(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** A collection that already exists, with its creation body and the payload fields it has indexes on. */
  addCollection(name: string, config: any, indexed: string[] = []): void {
    const payloadSchema: Record<string, { data_type: string }> = {};
    for (const f of indexed) payloadSchema[f] = { data_type: "keyword" };
    this.collections.set(name, { config, payloadSchema, points: new Map() });
  }

  putPoint(collection: string, point: { id: string; vector?: any; payload: any }): void {
    this.collections.get(collection)!.points.set(point.id, { id: point.id, vector: point.vector ?? {}, payload: point.payload ?? {} });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const u = new URL(req.url ?? "/", "http://stub");
        const raw = Buffer.concat(chunks).toString("utf8");
        const recorded: RecordedRequest = {
          method: req.method ?? "GET",
          path: u.pathname,
          query: Object.fromEntries(u.searchParams),
          body: raw ? JSON.parse(raw) : undefined,
          headers: req.headers,
        };
        this.requests.push(recorded);
        const answer = this.scripted(recorded) ?? this.answer(recorded);
        if (answer.hang) return;
        const status = answer.status ?? 200;
        const body = answer.raw !== undefined ? answer.raw : status >= 400 ? { status: { error: answer.error ?? "stub error" }, time: 0 } : { result: answer.result ?? null, status: "ok", time: 0.0001 };
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private scripted(r: RecordedRequest): StubAnswer | undefined {
    for (const s of this.scripts) {
      if (s.times <= 0 || s.method !== r.method || !s.path.test(r.path)) continue;
      const a = s.answer(r);
      if (a === undefined) continue;
      s.times -= 1;
      return a;
    }
    return undefined;
  }

  private answer(r: RecordedRequest): StubAnswer {
    if (r.method === "GET" && r.path === "/") return { raw: { title: "qdrant - vector search engine", version: "1.15.4" } };
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(r.path);
    if (!m) return { status: 404, error: `Not found: ${r.path}` };
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? "";
    const col = this.collections.get(name);
    if (rest === "/exists" && r.method === "GET") return { result: { exists: col !== undefined } };
    if (rest === "" && r.method === "PUT") {
      if (col) return { status: 409, error: `Wrong input: Collection \`${name}\` already exists!` };
      this.collections.set(name, { config: r.body, payloadSchema: {}, points: new Map() });
      return { result: true };
    }
    if (rest === "" && r.method === "DELETE") return { result: this.collections.delete(name) };
    if (!col) return { status: 404, error: `Not found: Collection \`${name}\` doesn't exist!` };
    if (rest === "" && r.method === "GET") {
      return { result: { status: "green", points_count: col.points.size, config: { params: col.config }, payload_schema: col.payloadSchema } };
    }
    if (rest === "/index" && r.method === "PUT") {
      col.payloadSchema[r.body.field_name] = { data_type: r.body.field_schema };
      return { result: { operation_id: 1, status: "completed" } };
    }
    if (rest === "/points" && r.method === "PUT") {
      for (const p of r.body.points) {
        const vector = p.vector ?? {};
        const dense = col.config.vectors ?? {};
        for (const [name, v] of Object.entries(vector)) {
          if (Array.isArray(v) && dense[name]?.size !== v.length) {
            return { status: 400, error: `Wrong input: Vector dimension error: expected dim: ${dense[name]?.size}, got ${v.length}` };
          }
        }
        col.points.set(String(p.id), { id: String(p.id), vector, payload: p.payload ?? {} });
      }
      return { result: { operation_id: 2, status: "completed" } };
    }
    const all = [...col.points.values()];
    const shape = (p: StoredPoint, extra: object = {}) => ({
      id: p.id,
      version: 1,
      ...extra,
      payload: selectPayload(p, r.body?.with_payload ?? true),
      vector: selectVector(p, r.body?.with_vector),
    });
    if (rest === "/points" && r.method === "POST") {
      const ids: string[] = r.body.ids.map(String);
      return { result: ids.filter((id) => col.points.has(id)).map((id) => shape(col.points.get(id)!)) };
    }
    if (rest === "/points/delete") {
      const doomed = r.body.points ? r.body.points.map(String) : all.filter((p) => matchesFilter(p, r.body.filter)).map((p) => p.id);
      for (const id of doomed) col.points.delete(id);
      return { result: { operation_id: 3, status: "completed" } };
    }
    if (rest === "/points/scroll") {
      const page = scroll(all, r.body ?? {});
      return { result: { points: page.points.map((p) => shape(p)), next_page_offset: page.next_page_offset } };
    }
    if (rest === "/points/query") {
      const idf = col.config.sparse_vectors?.[r.body.using]?.modifier === "idf";
      const hits = score(all.filter((p) => matchesFilter(p, r.body.filter)), r.body.using, r.body.query, idf)
        .sort((a, b) => b.score - a.score || (a.point.id < b.point.id ? -1 : 1))
        .slice(r.body.offset ?? 0, (r.body.offset ?? 0) + (r.body.limit ?? 10));
      return { result: { points: hits.map((h) => shape(h.point, { score: h.score })) } };
    }
    if (rest === "/points/count") return { result: { count: all.filter((p) => matchesFilter(p, r.body?.filter)).length } };
    if (rest === "/facet") return { result: { hits: facet(all, r.body) } };
    return { status: 404, error: `stub does not know ${r.method} ${r.path}` };
  }
}
