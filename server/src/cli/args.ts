// Reading a command's arguments: options (node:util parseArgs, strict), the folder and repo arguments, --help.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoNameProblem } from "../files/index.ts";
import { EXIT, UsageError, type CliIO } from "./io.ts";

export function wantsHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

export function parse<T extends Record<string, { type: "string" | "boolean"; short?: string }>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A folder argument, resolved against the working folder; a usage error when it is not a folder. */
export function dirArg(io: CliIO, value: string | undefined): string {
  const dir = path.resolve(io.cwd, value ?? ".");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`not a folder: ${dir}`);
  return dir;
}

/** A --repo value: one folder name ("*" too where `every` allows it, meaning every repo). */
export function repoArg(value: string | undefined, every = false): string | undefined {
  if (value === undefined || (every && value === "*")) return value;
  const problem = repoNameProblem(value);
  if (problem) throw new UsageError(`--repo ${JSON.stringify(value)} is not a repo name: ${problem}`);
  return value;
}

export function printHelp(io: CliIO, text: string): number {
  io.stdout.write(text + "\n");
  return EXIT.ok;
}
