// deploy.sh and the Makefile's cluster targets for real, against a kubectl STUB (no API server here): the stub
// records every invocation and the manifests piped to it, answers Qdrant's snapshot call, and hands
// `kubectl kustomize` to the real kubectl. This checks that what --dry-run prints is what runs, and the
// exact commands of backup, restore, watcher and undeploy.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { K8S_DIR, kubectlAvailable, parseObjects } from "../../k8s/local/manifests.ts";

const REAL_KUBECTL = spawnSync("bash", ["-c", "command -v kubectl"], { encoding: "utf8" }).stdout.trim();
const skip = kubectlAvailable() ? false : "kubectl is not installed (the stub hands rendering to it)";
if (skip) console.error("\n!!! kubectl is not on PATH: the kubectl-stub tests are SKIPPED !!!\n");

const STUB = `#!/usr/bin/env bash
# kubectl stub: records the call, keeps piped manifests, fakes Qdrant's snapshot answer.
n=$(ls "$STUB_DIR"/call-* 2>/dev/null | wc -l)
printf '%s\\n' "$*" > "$STUB_DIR/call-$(printf %04d "$n")"
case " $* " in
  *" kustomize "*) exec "$REAL_KUBECTL" "$@" ;;
  *" -f - "*) cat > "$STUB_DIR/stdin-$(printf %04d "$n")" ;;
  *"/snapshots/upload"*) echo '{"result":true,"status":"ok"}' ;;
  *"/snapshots'"*|*"/snapshots"*) echo '{"result":{"name":"codebase-42-2026-01-01-00-00-00.snapshot","creation_time":"2026-01-01T00:00:00","size":1024},"status":"ok","time":0.1}' ;;
  *" get svc "*) exit 1 ;;
esac
exit 0
`;

let stubDir: string;
let binDir: string;
let cwd: string;

function reset(): void {
  for (const f of readdirSync(stubDir)) rmSync(path.join(stubDir, f));
}

function calls(): string[] {
  return readdirSync(stubDir)
    .filter((f) => f.startsWith("call-"))
    .sort()
    .map((f) => readFileSync(path.join(stubDir, f), "utf8").trim());
}

function stdinOf(index: number): string {
  return readFileSync(path.join(stubDir, `stdin-${String(index).padStart(4, "0")}`), "utf8");
}

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, STUB_DIR: stubDir, REAL_KUBECTL, TMPDIR: cwd } });
}

describe("deploy.sh and the Makefile against a kubectl stub", { skip }, () => {
  before(() => {
    const root = mkdtempSync(path.join(os.tmpdir(), "ce-kubectl-stub-"));
    stubDir = path.join(root, "calls");
    binDir = path.join(root, "bin");
    cwd = path.join(root, "cwd");
    for (const d of [stubDir, binDir, cwd]) spawnSync("mkdir", ["-p", d]);
    writeFileSync(path.join(binDir, "kubectl"), STUB);
    chmodSync(path.join(binDir, "kubectl"), 0o755);
  });
  after(() => rmSync(path.dirname(stubDir), { recursive: true, force: true }));

  test("a real deploy.sh run issues exactly the commands its --dry-run printed", () => {
    for (const flags of [["--use-kustomize", "--deploy-ingress"], ["--use-kustomize", "--skip-llamacpp", "--namespace", "ns1"], ["--deploy-ingress", "--registry", "r.io/ce", "--tag", "v1"]]) {
      reset();
      const dry = run("bash", [path.join(K8S_DIR, "deploy.sh"), ...flags, "--dry-run"]);
      assert.equal(dry.status, 0, dry.stderr);
      const printed = dry.stdout
        .split("\n")
        .filter((l) => l.startsWith("+ ") && !l.startsWith("+ kubectl kustomize"))
        .map((l) => l.slice(2).replace(/\/context-engine-deploy\.[A-Za-z0-9]+\//, "/WORK/"));
      for (const kept of readdirSync(cwd).filter((f) => f.startsWith("context-engine-deploy."))) rmSync(path.join(cwd, kept), { recursive: true });
      reset();
      const real = run("bash", [path.join(K8S_DIR, "deploy.sh"), ...flags]);
      assert.equal(real.status, 0, real.stderr);
      const issued = calls()
        .filter((c) => !c.startsWith("kustomize "))
        .map((c) => "kubectl " + c.replace(/\/context-engine-deploy\.[A-Za-z0-9]+\//, "/WORK/"));
      // The key was generated (the stub's Secret has none) and never printed: 64 hex digits, once.
      const keyCalls = issued.filter((c) => /QDRANT_API_KEY=[0-9a-f]{64} /.test(c));
      assert.equal(keyCalls.length, 1, issued.join("\n"));
      // The plain mode pipes sed into `kubectl apply -f -`, the key step pipes create into apply: compare the kubectl parts.
      const expected = printed.flatMap((p) =>
        p.endsWith("# only when the key is missing")
          ? p.replace(/\s+# only when the key is missing$/, "").split(" | ")
          : [p.replace(/^sed .* \| (kubectl apply -f -)$/, "$1")],
      );
      assert.deepEqual(issued.map((c) => c.replace(/QDRANT_API_KEY=[0-9a-f]{64} /, "QDRANT_API_KEY=<generated> ")), expected, flags.join(" "));
      assert.equal(readdirSync(cwd).filter((f) => f.startsWith("context-engine-deploy.")).length, 0, "the temporary folder is removed after a real run");
    }
  });

  test("the plain mode pipes the substituted manifests into kubectl apply", () => {
    reset();
    const r = run("bash", [path.join(K8S_DIR, "deploy.sh"), "--registry", "r.io/ce", "--tag", "v7", "--skip-llamacpp"]);
    assert.equal(r.status, 0, r.stderr);
    const all = calls();
    const uploaderCall = all.findIndex((c, i) => c === "apply -f -" && stdinOf(i).includes("name: uploader"));
    assert.ok(uploaderCall >= 0);
    const objects = parseObjects(stdinOf(uploaderCall));
    assert.equal(objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].image, "r.io/ce:v7");
    const cmCall = all.findIndex((c, i) => c === "apply -f -" && stdinOf(i).includes("kind: ConfigMap"));
    assert.equal(parseObjects(stdinOf(cmCall))[0].data.LLAMACPP_URL, "");
  });

  test("make backup snapshots the collection and copies the file Qdrant named", () => {
    reset();
    const r = run("make", ["-s", "-f", path.join(K8S_DIR, "Makefile"), "backup"]);
    assert.equal(r.status, 0, r.stderr);
    const c = calls();
    assert.equal(c.length, 2);
    assert.match(c[0], /^-n context-engine exec qdrant-0 -c qdrant-tools -- sh -c curl -fsS -X POST -H "api-key: \$\{QDRANT_API_KEY:-\}" http:\/\/localhost:6333\/collections\/codebase\/snapshots$/);
    assert.equal(c[1], "cp -c qdrant-tools context-engine/qdrant-0:/qdrant/storage/snapshots/codebase/codebase-42-2026-01-01-00-00-00.snapshot backup/codebase-42-2026-01-01-00-00-00.snapshot");
    assert.ok(existsSync(path.join(cwd, "backup")));
    assert.match(r.stdout, /backup\/codebase-42-2026-01-01-00-00-00\.snapshot/);
  });

  test("make restore copies the snapshot into the pod and uploads it to Qdrant with POST", () => {
    reset();
    writeFileSync(path.join(cwd, "backup", "codebase-42.snapshot"), "snapshot bytes");
    const r = run("make", ["-s", "-f", path.join(K8S_DIR, "Makefile"), "restore", "SNAPSHOT=backup/codebase-42.snapshot", "COLLECTION=codebase"]);
    assert.equal(r.status, 0, r.stderr);
    const c = calls();
    assert.equal(c[0], "cp -c qdrant-tools backup/codebase-42.snapshot context-engine/qdrant-0:/qdrant/storage/snapshots/codebase-42.snapshot");
    assert.match(c[1], /exec qdrant-0 -c qdrant-tools -- sh -c curl -fsS -X POST .*"http:\/\/localhost:6333\/collections\/codebase\/snapshots\/upload\?priority=snapshot" -F "snapshot=@\/qdrant\/storage\/snapshots\/codebase-42\.snapshot"/);
    const missing = run("make", ["-s", "-f", path.join(K8S_DIR, "Makefile"), "restore", "SNAPSHOT=backup/nope.snapshot"]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /usage: make restore SNAPSHOT=/);
  });

  test("make watcher applies the rendered template and waits for its rollout", () => {
    reset();
    const r = run("make", ["-s", "-C", K8S_DIR, "watcher", "REPO=shop", "REGISTRY=r.io/ce", "TAG=v2"]);
    assert.equal(r.status, 0, r.stderr);
    const c = calls();
    assert.deepEqual(c, ["apply -f -", "-n context-engine rollout status deployment/watcher-shop --timeout=600s"]);
    const [d] = parseObjects(stdinOf(0));
    assert.equal(d.metadata.name, "watcher-shop");
    assert.equal(d.spec.template.spec.containers[0].image, "r.io/ce:v2");
  });

  test("make undeploy deletes the objects but keeps the claims and the namespace; purge removes them", () => {
    reset();
    assert.equal(run("make", ["-s", "-f", path.join(K8S_DIR, "Makefile"), "undeploy"]).status, 0);
    const [del] = calls();
    assert.equal(del, "-n context-engine delete deployment,statefulset,job,hpa,poddisruptionbudget,service,ingress,networkpolicy,configmap,rolebinding,role,serviceaccount -l app.kubernetes.io/part-of=context-engine --ignore-not-found");
    assert.doesNotMatch(del, /pvc|persistentvolumeclaim|namespace /);
    reset();
    assert.equal(run("make", ["-s", "-f", path.join(K8S_DIR, "Makefile"), "purge"]).status, 0);
    assert.deepEqual(calls().slice(1), ["delete namespace context-engine --ignore-not-found", "delete pv -l app.kubernetes.io/part-of=context-engine --ignore-not-found"]);
  });
});
