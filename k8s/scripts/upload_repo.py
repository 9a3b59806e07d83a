#!/usr/bin/env python3
"""Uploads a local folder to the Context Engine uploader (the deployment guide's upload_repo.py).

Same delta protocol as `context-engine upload` (server/src/sync/protocol.ts): send a manifest of
{path, sha256, size}, then a tar.gz of only the files the uploader lacks, plus the list of files to delete.
Python 3.8+ standard library only, so it runs where Node does not.

    kubectl port-forward -n context-engine svc/uploader 8004:8004 &      # or: make port-forward
    python scripts/upload_repo.py --repo-name my-service --path /local/path/to/repo

Skipped: .git, node_modules, .codebase and other tool folders, symlinks, files over 16 MiB, and names
matched by the root .gitignore / .contextignore (simple patterns; `context-engine upload` applies the
complete nested ignore rules).
"""
import argparse
import fnmatch
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.error
import urllib.request

DELETIONS_ENTRY = ".context-engine-deletions.json"
REPO_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_FILE_BYTES = 16 * 1024 * 1024
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".codebase", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache", "dist", "build"}


def to_repo_name(name):
    s = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].rstrip("-")
    return s or "repo"


def ignore_patterns(root):
    patterns = []
    for name in (".gitignore", ".contextignore"):
        try:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#") and not line.startswith("!"):
                        patterns.append(line)
        except OSError:
            pass
    return patterns


def ignored(rel, is_dir, patterns):
    base = rel.rsplit("/", 1)[-1]
    for p in patterns:
        if p.endswith("/"):
            if not is_dir:
                continue
            p = p[:-1]
        anchored = p.startswith("/") or "/" in p.rstrip("/")
        p = p.lstrip("/")
        if (anchored and fnmatch.fnmatch(rel, p)) or (not anchored and fnmatch.fnmatch(base, p)):
            return True
    return False


def scan(root):
    patterns = ignore_patterns(root)
    files = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not os.path.islink(os.path.join(dirpath, d)) and not ignored(rel_dir + d, True, patterns))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = rel_dir + name
            if os.path.islink(full) or not os.path.isfile(full) or ignored(rel, False, patterns):
                continue
            size = os.path.getsize(full)
            if size > MAX_FILE_BYTES:
                continue
            h = hashlib.sha256()
            with open(full, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            files[rel] = {"path": rel, "sha256": h.hexdigest(), "size": size}
    return files


def post(url, body, content_type, token, headers=None):
    req = urllib.request.Request(url, data=body, method="POST", headers=dict({"Content-Type": content_type}, **(headers or {})))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=600) as res:
            return json.loads(res.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")
        sys.exit("upload_repo.py: %s answered %d: %s" % (url, e.code, detail))
    except urllib.error.URLError as e:
        sys.exit("upload_repo.py: cannot reach %s (%s). Is the uploader forwarded? kubectl port-forward -n context-engine svc/uploader 8004:8004" % (url, e.reason))


def main():
    ap = argparse.ArgumentParser(description="Upload a folder to the Context Engine uploader (delta sync).")
    ap.add_argument("--repo-name", help="repository name in the cluster (default: the folder's name)")
    ap.add_argument("--path", default=".", help="folder to upload (default: .)")
    ap.add_argument("--url", default=os.environ.get("CONTEXT_ENGINE_UPLOAD_URL", "http://localhost:8004"), help="uploader URL (default: http://localhost:8004)")
    ap.add_argument("--token", default=os.environ.get("CONTEXT_ENGINE_TOKEN"), help="bearer token (default: $CONTEXT_ENGINE_TOKEN)")
    args = ap.parse_args()

    root = os.path.abspath(args.path)
    if not os.path.isdir(root):
        sys.exit("upload_repo.py: not a folder: %s" % root)
    repo = args.repo_name or to_repo_name(os.path.basename(root))
    if not REPO_NAME.match(repo):
        sys.exit("upload_repo.py: repo name %r: lowercase letters, digits and '-', e.g. %s" % (repo, to_repo_name(repo)))
    base = args.url.rstrip("/")

    files = scan(root)
    manifest = json.dumps({"files": list(files.values())}).encode("utf-8")
    plan = post("%s/sync/%s/manifest" % (base, repo), manifest, "application/json", args.token)
    need, delete = plan.get("need", []), plan.get("delete", [])
    if not need and not delete:
        print("%s: up to date (%d files)" % (repo, len(files)))
        return

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel in need:
            if rel not in files:
                continue
            info = tar.gettarinfo(os.path.join(root, rel), arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(os.path.join(root, rel), "rb") as f:
                tar.addfile(info, f)
        if delete:
            data = json.dumps(delete).encode("utf-8")
            info = tarfile.TarInfo(DELETIONS_ENTRY)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    # The upload delivers this manifest's answer: the uploader writes only what that answer asked for.
    result = post("%s/sync/%s/upload" % (base, repo), buf.getvalue(), "application/gzip", args.token,
                  {"X-Upload-Id": plan.get("upload_id", "")})
    print("%s: %d files written, %d deleted, %d bytes (of %d files)" % (repo, result.get("written", 0), result.get("deleted", 0), result.get("bytes", 0), len(files)))


if __name__ == "__main__":
    main()
