// .github/workflows/release.yml cannot run here (no registry, no GitHub): what can be checked is. Its version
// check runs for real against this checkout, every file and npm script it names exists, the versions it compares
// agree, and the digest pin it writes into the prod overlay takes effect in what the overlay renders.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { K8S_DIR, containersOf, kubectlAvailable, renderKustomization, workloads } from "../../k8s/local/manifests.ts";

const ROOT = path.resolve(K8S_DIR, "..");
const FILE = path.join(ROOT, ".github/workflows/release.yml");
const text = readFileSync(FILE, "utf8");
const wf = parse(text) as { on: { push: { tags: string[] } }; env: Record<string, string>; jobs: Record<string, { steps: { run?: string; uses?: string; with?: Record<string, unknown>; "working-directory"?: string }[]; strategy?: { matrix: { target: string[] } } }> };
const read = (f: string) => readFileSync(path.join(ROOT, f), "utf8");
const version = JSON.parse(read("package.json")).version as string;
const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? "").join("\n");

describe("release workflow", () => {
  test("says in its header that it cannot run on the project's CI, and runs on version tags", () => {
    const header = text.split("\n").filter((l) => l.startsWith("#")).join("\n");
    assert.match(header, /CANNOT RUN ON THE PROJECT'S OWN CI/);
    assert.match(header, /test\/unit\/release-workflow\.test\.ts/);
    assert.deepEqual(wf.on.push.tags, ["v*.*.*"]);
  });

  test("publishes the multi-arch image, the npm package and a .vsix per platform, and pins the digests in prod", () => {
    const build = steps.find((s) => s.uses?.startsWith("docker/build-push-action"))!;
    assert.equal(build.with?.platforms, "linux/amd64,linux/arm64");
    assert.equal(build.with?.push, true);
    assert.match(runs, /npm publish --workspace server/);
    assert.deepEqual(wf.jobs.vsix.strategy?.matrix.target.sort(), ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64", "win32-x64"]);
    assert.match(runs, /vsce package --target \$\{\{ matrix\.target \}\}/);
    assert.match(runs, /kustomize edit set image "\$\{IMAGE\}=\$\{IMAGE\}@/);
    assert.match(runs, /git add k8s\/overlays\/prod\/kustomization\.yaml/);
  });

  test("every file, folder, workspace and npm script it names exists", () => {
    const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
    for (const m of runs.matchAll(/npm run ([\w:-]+)/g)) assert.ok(scripts[m[1]], `npm run ${m[1]}`);
    for (const m of runs.matchAll(/--workspace (\S+)/g)) assert.ok(existsSync(path.join(ROOT, m[1], "package.json")), `workspace ${m[1]}`);
    const named = new Set([...text.matchAll(/\b((?:k8s|extension|server|\.ci|test)\/[\w./-]+\.(?:ya?ml|json|sh|ts)|k8s\/(?:Makefile|deploy\.sh)|Dockerfile)\b/g)].map((m) => m[1]));
    assert.ok(named.size >= 6, [...named].join(" "));
    for (const f of named) assert.ok(existsSync(path.join(ROOT, f)), `${f} exists`);
    for (const s of steps) if (s["working-directory"]) assert.ok(existsSync(path.join(ROOT, s["working-directory"])), s["working-directory"]);
    for (const s of steps) if (typeof s.with?.file === "string") assert.ok(existsSync(path.join(ROOT, s.with.file as string)), String(s.with.file));
  });

  test("the versions it stamps agree with package.json, and the image is the one k8s/ and deploy.sh name", () => {
    for (const f of ["server/package.json", "extension/package.json"]) assert.equal(JSON.parse(read(f)).version, version, f);
    const image = parse(read("k8s/components/image/kustomization.yaml")).images[0];
    assert.equal(image.newTag, version);
    assert.equal(image.newName, wf.env.IMAGE);
    assert.match(read("k8s/deploy.sh"), new RegExp(`^RELEASED_IMAGE="${wf.env.IMAGE}"$`, "m"));
    assert.match(read("k8s/deploy.sh"), new RegExp(`^TAG="${version.replace(/\./g, "\\.")}"$`, "m"));
    assert.match(read("k8s/Makefile"), new RegExp(`^TAG +\\?= ${version.replace(/\./g, "\\.")}$`, "m"));
    assert.match(read("k8s/Makefile"), new RegExp(`^REGISTRY +\\?= ${wf.env.IMAGE}$`, "m"));
  });

  test("its version check passes for this checkout's tag and fails for another", () => {
    const check = wf.jobs.check.steps.find((s) => s.run?.includes("GITHUB_OUTPUT"))!.run!;
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "ce-release-")), "output");
    const run = (tag: string) => spawnSync("bash", ["-eo", "pipefail", "-c", check], { cwd: ROOT, encoding: "utf8", env: { ...process.env, GITHUB_REF_NAME: tag, GITHUB_OUTPUT: out } });
    const ok = run(`v${version}`);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(readFileSync(out, "utf8").trim(), `version=${version}`);
    const bad = run("v99.0.0");
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /::error file=package\.json::version/);
    rmSync(path.dirname(out), { recursive: true, force: true });
  });

  test("the digest pin it writes into the prod overlay is what prod then deploys", { skip: kubectlAvailable() ? false : "kubectl is not installed" }, () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), "ce-release-k8s-"));
    try {
      cpSync(K8S_DIR, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}local`) });
      const prod = path.join(copy, "overlays/prod/kustomization.yaml");
      const digest = `sha256:${"1".repeat(64)}`;
      // What `kustomize edit set image "${IMAGE}=${IMAGE}@<digest>"` writes.
      writeFileSync(prod, readFileSync(prod, "utf8").replace(/^images: \[\]$/m, `images:\n  - name: ${wf.env.IMAGE}\n    newName: ${wf.env.IMAGE}\n    digest: ${digest}`));
      const images = workloads(renderKustomization(path.join(copy, "overlays/prod"))).flatMap((w) => containersOf(w.template).map((c) => c.image as string));
      const ours = images.filter((i) => i.startsWith(wf.env.IMAGE));
      assert.ok(ours.length >= 7, images.join(" "));
      for (const i of ours) assert.equal(i, `${wf.env.IMAGE}@${digest}`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
