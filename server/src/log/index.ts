// One logger: JSON lines when not on a terminal (the cluster), readable lines on a TTY.
import type { LogLevel } from "../config/index.ts";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Defaults to stderr, so stdout stays free for command output and stdio MCP. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  json?: boolean;
}

export function createLogger(opts: LoggerOptions = {}, base: Fields = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const min = ORDER[opts.level ?? "info"];
  const json = opts.json ?? !stream.isTTY;
  const write = (level: LogLevel, msg: string, fields?: Fields) => {
    if (ORDER[level] < min) return;
    const all = { ...base, ...fields };
    if (json) {
      stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }) + "\n");
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      stream.write(`${level === "info" ? "" : level.toUpperCase() + " "}${msg}${extra ? "  " + extra : ""}\n`);
    }
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (f) => createLogger(opts, { ...base, ...f }),
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
