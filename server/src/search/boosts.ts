// Code-aware boosts on top of fusion: symbol and path matches up; tests, docs, config, examples and vendored code
// down unless the query asks for them. Each boost says why.
import type { Point } from "../store/types.ts";
import type { ParsedQuery } from "./query.ts";

export interface Boost {
  factor: number;
  why: string[];
}

const VENDORED = /(^|\/)(vendor|vendored|third_party|thirdparty|external|extern|node_modules|_vendor)\//i;
const EXAMPLES = /(^|\/)(examples?|samples?|demos?|benchmarks?|bench)\//i;
const KIND_FACTOR = { test: 0.45, doc: 0.55, config: 0.7 } as const;

export function boostFor(p: Point, q: ParsedQuery): Boost {
  let factor = 1;
  const why: string[] = [];
  const symbol = p.symbol.toLowerCase();
  const symbolPath = p.symbol_path.toLowerCase();
  if (symbol) {
    for (const id of q.identifiers) {
      const l = id.toLowerCase();
      if (l === symbol || l === symbolPath) {
        factor *= 1.6;
        why.push(`symbol match: ${p.symbol_path || p.symbol}`);
        break;
      }
      if (l.length > 3 && symbolPath.split(".").includes(l)) {
        factor *= 1.25;
        why.push(`inside ${id}`);
        break;
      }
      if (l.length > 5 && symbol.includes(l)) {
        factor *= 1.3;
        why.push(`symbol contains ${id}`);
        break;
      }
    }
  }
  const lowerPath = p.path.toLowerCase();
  for (const named of q.paths) {
    const n = named.toLowerCase().replace(/^\.?\//, "");
    if (lowerPath === n || lowerPath.endsWith("/" + n)) {
      factor *= 1.8;
      why.push(`path named in query: ${named}`);
      break;
    }
  }
  if (p.kind !== "code" && p.kind !== "memory") {
    if (!q.wants.has(p.kind)) {
      factor *= KIND_FACTOR[p.kind];
      why.push(`${p.kind} file down-ranked`);
    } else {
      factor *= 1.6;
      why.push(`${p.kind} file asked for`);
    }
  }
  if (VENDORED.test(p.path)) {
    factor *= 0.5;
    why.push("vendored code down-ranked");
  } else if (EXAMPLES.test(p.path) && !/\bexamples?\b/i.test(q.text)) {
    factor *= 0.7;
    why.push("example code down-ranked");
  }
  return { factor, why };
}
