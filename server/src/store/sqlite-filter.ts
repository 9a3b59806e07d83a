// SearchFilter -> SQL over the chunks table. Globs go through a registered function (ce_glob), since SQLite's
// GLOB has no `**`.
import { CHUNK_KINDS } from "../chunking/types.ts";
import { globMatcher } from "./glob.ts";
import type { SearchFilter } from "./types.ts";

export interface CompiledFilter {
  sql: string;
  params: unknown[];
  /** True when filters beyond the repo may drop many rows (callers over-fetch). */
  selective: boolean;
}

function compile(filter: SearchFilter, alias: string): CompiledFilter {
  const where: string[] = [];
  const params: unknown[] = [];
  const col = (c: string) => `${alias}.${c}`;
  const list = (column: string, values: string[] | undefined) => {
    if (!values?.length) return;
    where.push(`${col(column)} IN (${values.map(() => "?").join(",")})`);
    params.push(...values);
  };
  if (filter.repo && filter.repo !== "*") {
    where.push(`${col("repo")} = ?`);
    params.push(filter.repo);
  }
  list("language", filter.language);
  list("kind", filter.kind);
  list("ext", filter.ext?.map((e) => e.replace(/^\./, "").toLowerCase()));
  if (filter.under) {
    const prefix = filter.under.replace(/^\.?\/+/, "").replace(/\/*$/, "/");
    if (prefix !== "/") {
      where.push(`substr(${col("path")}, 1, ?) = ?`);
      params.push(prefix.length, prefix);
    }
  }
  if (filter.path_glob) {
    where.push(`ce_glob(?, ${col("path")}) = 1`);
    params.push(filter.path_glob);
  }
  if (filter.not_glob) {
    where.push(`ce_glob(?, ${col("path")}) = 0`);
    params.push(filter.not_glob);
  }
  if (filter.symbol) {
    const like = `%${filter.symbol.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
    where.push(`(${col("symbol_path")} LIKE ? ESCAPE '\\' OR ${col("symbol")} LIKE ? ESCAPE '\\')`);
    params.push(like, like);
  }
  // The repo, and a kind list that leaves out only memories (the default of code search), drop few rows.
  const broadKinds = !!filter.kind?.length && CHUNK_KINDS.every((k) => filter.kind!.includes(k));
  const selective = where.length > (filter.repo && filter.repo !== "*" ? 1 : 0) + (broadKinds ? 1 : 0);
  return { sql: where.length ? where.join(" AND ") : "1", params, selective };
}

export const compileFilter = Object.assign(compile, { glob: globMatcher });
