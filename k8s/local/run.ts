// `npm run cluster:local`: the Kubernetes deployment's process layout on this machine. Every Deployment that runs
// the context-engine CLI (uploader, MCP servers, one watcher per --repo) starts as a local process with the
// command, args and env of its manifest; Qdrant becomes the embedded store (one shared file), Service hosts
// become loopback, volumes become folders under --work. llama.cpp and the Qdrant-only init Job do not run.
//
//   npm run cluster:local -- [--repo NAME]... [--work DIR] [--free-ports] [--env KEY=VALUE]... [--kustomization DIR]
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../../server/src/http/free-port.ts";
import { startLocalCluster, type LocalCluster } from "./cluster.ts";
import { planLocalProcesses, watcherFor, type LocalProcess } from "./layout.ts";
import { K8S_DIR, WATCHER_TEMPLATE, kubectlAvailable, readBaseFiles, readYamlFile, renderKustomization, type K8sObject } from "./manifests.ts";
import type { Writable } from "node:stream";

export const REPO_ROOT = path.resolve(K8S_DIR, "..");

/** How to run `context-engine` from this checkout: the TypeScript entry through tsx (no build needed). */
export function sourceCli(): string[] {
  const tsx = import.meta.resolve("tsx");
  return [process.execPath, "--import", tsx, path.join(REPO_ROOT, "server", "src", "cli", "main.ts")];
}

/** The rendered deployment (kubectl kustomize, or the base's files without kubectl) plus a watcher per repo. */
export function deploymentObjects(kustomization: string | undefined, repos: string[]): K8sObject[] {
  const objects = kustomization ? renderKustomization(kustomization) : kubectlAvailable() ? renderKustomization(K8S_DIR) : readBaseFiles();
  const [template] = readYamlFile(WATCHER_TEMPLATE);
  return [...objects, ...repos.map((r) => watcherFor(template, r))];
}


/** Chooses local ports: the real ones, or free ones (one per workload and container port). */
export async function portChooser(free: boolean, objects: K8sObject[]): Promise<(workload: string, port: number) => number> {
  if (!free) return (_w, p) => p;
  const chosen = new Map<string, number>();
  for (const o of objects.filter((x) => x.kind === "Deployment")) {
    for (const c of o.spec.template.spec.containers) for (const p of c.ports ?? []) chosen.set(`${o.metadata.name}:${p.containerPort}`, await freePort());
  }
  return (w, p) => chosen.get(`${w}:${p}`) ?? p;
}

export interface LocalRunOptions {
  repos: string[];
  workDir: string;
  freePorts: boolean;
  env: Record<string, string>;
  kustomization?: string;
  log?: Writable;
}

export async function runLocal(opts: LocalRunOptions): Promise<{ cluster: LocalCluster; plan: LocalProcess[] }> {
  const objects = deploymentObjects(opts.kustomization, opts.repos);
  const plan = planLocalProcesses({
    objects,
    workDir: opts.workDir,
    cli: sourceCli(),
    portFor: await portChooser(opts.freePorts, objects),
    secrets: Object.fromEntries(["CONTEXT_ENGINE_TOKEN"].flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : []))),
    env: opts.env,
  });
  return { cluster: startLocalCluster(plan, opts.log), plan };
}

function describe(plan: LocalProcess[]): string {
  const rows = plan.map((p) => {
    const ports = [...p.ports.entries()].map(([c, l]) => (c === l ? `${l}` : `${c}->${l}`)).join(", ");
    return `  ${p.name.padEnd(22)} ${ports.padEnd(22)} ${p.readyUrl ?? "(no probe)"}`;
  });
  return rows.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repo: { type: "string", multiple: true },
      work: { type: "string" },
      "free-ports": { type: "boolean" },
      env: { type: "string", multiple: true },
      kustomization: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      "Usage: npm run cluster:local -- [--repo NAME]... [--work DIR] [--free-ports] [--env KEY=VALUE]... [--kustomization DIR]\n" +
        "Runs the deployment's uploader, MCP servers and a watcher per --repo (default: demo) as local processes.\n",
    );
    return;
  }
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new Error(`--env ${kv}: expected KEY=VALUE`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const workDir = path.resolve(values.work ?? mkdtempSync(path.join(os.tmpdir(), "context-engine-cluster-")));
  const repos = values.repo?.length ? values.repo : ["demo"];
  const { cluster, plan } = await runLocal({ repos, workDir, freePorts: values["free-ports"] ?? false, env, kustomization: values.kustomization, log: process.stdout });
  const stop = async () => {
    await cluster.stop();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.write(`cluster:local in ${workDir}\n${describe(plan)}\n`);
  try {
    await cluster.ready(120_000);
  } catch (e) {
    process.stderr.write(`cluster:local: ${(e as Error).message}\n`);
    await cluster.stop();
    process.exit(1);
  }
  const uploader = plan.find((p) => p.name === "uploader");
  const upPort = uploader ? [...uploader.ports.values()][0] : 8004;
  process.stdout.write(
    `\nready. Upload a folder:  npm run context-engine -- upload --repo ${repos[0]} --path . --url http://127.0.0.1:${upPort}\n` +
      `Repos are under ${path.join(workDir, "volumes", "repos-storage")}; Ctrl-C stops everything.\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`cluster:local: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
