// A progress bar on a terminal, plain lines when piped (one every few seconds, so logs stay readable).
import type { CliIO } from "./io.ts";

export interface Progress {
  update(done: number, total: number, label?: string): void;
  done(message?: string): void;
}

export function createProgress(io: CliIO, title: string): Progress {
  const tty = Boolean(io.stderr.isTTY);
  let lastPlain = 0;
  let drawn = false;
  return {
    update(done, total, label = "") {
      if (tty) {
        const width = Math.max(10, Math.min(30, (io.stderr.columns ?? 80) - 60));
        const frac = total > 0 ? Math.min(1, done / total) : 0;
        const filled = Math.round(frac * width);
        const bar = "█".repeat(filled) + "░".repeat(width - filled);
        const tail = label.length > 40 ? "…" + label.slice(-39) : label;
        io.stderr.write(`\r\x1b[2K${title} ${bar} ${done}/${total} ${tail}`);
        drawn = true;
      } else {
        const now = Date.now();
        if (now - lastPlain >= 2000 || done === total) {
          io.stderr.write(`${title}: ${done}/${total}${label ? " " + label : ""}\n`);
          lastPlain = now;
        }
      }
    },
    done(message) {
      if (tty && drawn) io.stderr.write("\r\x1b[2K");
      if (message) io.stderr.write(message + "\n");
    },
  };
}
