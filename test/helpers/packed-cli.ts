// The server as a user installs it: `npm pack` of server/ (its prepack builds dist/), then `npm install -g <tarball>
// --prefix <folder> --omit=dev`. Used by test/integration/cli-installed.test.ts and bench/cli.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface InstalledCli {
  prefix: string;
  /** The installed package's folder (…/lib/node_modules/@context-engine/server). */
  pkgDir: string;
  /** The `context-engine` executable npm linked. */
  bin: string;
}

export function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Packs server/ into `dest` (prepack builds the bundle); returns the tarball's path. */
export function packServer(dest: string): string {
  const r = spawnSync("npm", ["pack", "--pack-destination", dest, "--json"], { cwd: path.join(CHECKOUT, "server"), encoding: "utf8", timeout: 600_000 });
  const out = ok(r, "npm pack");
  return path.join(dest, JSON.parse(out.slice(out.indexOf("[")))[0].filename);
}

/**
 * Installs a tarball globally into `prefix`, from `cwd` (outside the checkout, so that its .npmrc and workspaces play
 * no part). Install scripts are not run, as under a strict npm; see provideBetterSqlite3Binary.
 */
export function installTarball(tarball: string, prefix: string, cwd: string): InstalledCli {
  ok(
    spawnSync("npm", ["install", "-g", tarball, "--prefix", prefix, "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...machineCertificates() },
      encoding: "utf8",
      timeout: 600_000,
    }),
    "npm install -g",
  );
  const pkgDir = path.join(prefix, "lib", "node_modules", "@context-engine", "server");
  return { prefix, pkgDir, bin: path.join(prefix, "bin", "context-engine") };
}

/**
 * The machine's certificate settings for reaching the registry: `--prefix` moves npm's global config file (where a
 * machine behind a TLS-inspecting proxy keeps its `cafile`) to the new prefix, and a bare environment drops
 * NODE_EXTRA_CA_CERTS; without them such a machine's install fails with SELF_SIGNED_CERT_IN_CHAIN.
 */
function machineCertificates(): Record<string, string> {
  const out: Record<string, string> = {};
  if (process.env.NODE_EXTRA_CA_CERTS) out.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  const cafile = spawnSync("npm", ["config", "get", "cafile"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } }).stdout?.trim();
  if (cafile && cafile !== "null" && cafile !== "undefined") out.npm_config_cafile = cafile;
  return out;
}

/**
 * Puts better-sqlite3's native binary into the installed package: what its install script fetches (a prebuilt
 * binary) or builds, taken from the checkout's copy, which is the same version built for the Node running this.
 */
export function provideBetterSqlite3Binary(pkgDir: string): void {
  const from = path.join(CHECKOUT, "node_modules", "better-sqlite3");
  const to = path.join(pkgDir, "node_modules", "better-sqlite3");
  const version = (dir: string) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version as string;
  if (version(from) !== version(to)) throw new Error(`better-sqlite3 ${version(to)} is installed but the checkout has ${version(from)}`);
  mkdirSync(path.join(to, "build", "Release"), { recursive: true });
  copyFileSync(path.join(from, "build", "Release", "better_sqlite3.node"), path.join(to, "build", "Release", "better_sqlite3.node"));
}
