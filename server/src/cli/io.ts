// What a command may touch of the outside world: its streams and environment. Tests pass their own.
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  cwd: string;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };

/** Wrong usage: exit code 2 with the message and the command's help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
