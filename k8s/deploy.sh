#!/usr/bin/env bash
# Deploys Context Engine to the current kubectl context, stage by stage, waiting for each:
#   foundation (namespace, config, RBAC, volumes, network policy) -> Qdrant (ready) -> collection init Job
#   (complete) -> MCP servers + uploader [+ llama.cpp] (rolled out) -> [ingress].
# Run it from anywhere; it finds the manifests beside itself. `--dry-run` prints the kubectl commands that
# would touch the cluster instead of running them (local rendering still runs); `--render` prints the
# manifests that would be applied and exits.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./deploy.sh [options]
  --use-kustomize        render with Kustomize (recommended); without it the plain YAML files are applied
  --registry NAME        image name without tag (default: the released ghcr.io/context-engine/context-engine)
  --tag TAG              image tag (default: the released version)
  --deploy-ingress       also deploy the NGINX ingress routes
  --skip-llamacpp        leave out the llama.cpp decoder (context_answer then reports no decoder)
  --namespace NS         target namespace (default: context-engine)
  --overlay NAME|DIR     with --use-kustomize: base (default), dev, prod, networkpolicy-strict, or a directory
  --timeout DURATION     how long to wait for each stage (default: 600s)
  --dry-run              print the kubectl commands instead of running them
  --render               with --use-kustomize: print the rendered manifests and exit
  -h, --help             this text
EOF
}

die() {
  echo "deploy.sh: $*" >&2
  exit 2
}

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
USE_KUSTOMIZE=0
# The released image (k8s/components/image; the release workflow keeps both in step with package.json).
RELEASED_IMAGE="ghcr.io/context-engine/context-engine"
REGISTRY="$RELEASED_IMAGE"
TAG="0.1.0"
# Without --registry/--tag the overlay's own image stands (the prod overlay pins it by digest).
IMAGE_SET=0
DEPLOY_INGRESS=0
SKIP_LLAMACPP=0
NAMESPACE="context-engine"
OVERLAY="base"
TIMEOUT="600s"
DRY_RUN=0
RENDER=0

while [ $# -gt 0 ]; do
  case "$1" in
    --use-kustomize) USE_KUSTOMIZE=1 ;;
    --registry) [ $# -ge 2 ] || die "--registry needs a value"; REGISTRY="$2"; IMAGE_SET=1; shift ;;
    --registry=*) REGISTRY="${1#*=}"; IMAGE_SET=1 ;;
    --tag) [ $# -ge 2 ] || die "--tag needs a value"; TAG="$2"; IMAGE_SET=1; shift ;;
    --tag=*) TAG="${1#*=}"; IMAGE_SET=1 ;;
    --deploy-ingress) DEPLOY_INGRESS=1 ;;
    --skip-llamacpp) SKIP_LLAMACPP=1 ;;
    --namespace | -n) [ $# -ge 2 ] || die "--namespace needs a value"; NAMESPACE="$2"; shift ;;
    --namespace=*) NAMESPACE="${1#*=}" ;;
    --overlay) [ $# -ge 2 ] || die "--overlay needs a value"; OVERLAY="$2"; shift ;;
    --overlay=*) OVERLAY="${1#*=}" ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs a value"; TIMEOUT="$2"; shift ;;
    --timeout=*) TIMEOUT="${1#*=}" ;;
    --dry-run) DRY_RUN=1 ;;
    --render) RENDER=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

[[ "$REGISTRY" =~ ^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?$ ]] || die "--registry '$REGISTRY' is not an image name (e.g. ghcr.io/acme/context-engine)"
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag '$TAG' is not a valid image tag"
[[ "$NAMESPACE" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || die "--namespace '$NAMESPACE' is not a valid namespace name"
[[ "$TIMEOUT" =~ ^[0-9]+[smh]$ ]] || die "--timeout '$TIMEOUT' must look like 600s, 10m or 1h"
if [ "$USE_KUSTOMIZE" = 0 ]; then
  [ "$OVERLAY" = base ] || die "--overlay needs --use-kustomize"
  [ "$RENDER" = 0 ] || die "--render needs --use-kustomize"
fi
command -v kubectl >/dev/null 2>&1 || die "kubectl not found on PATH (https://kubernetes.io/docs/tasks/tools/)"

IMAGE="${REGISTRY}:${TAG}"
CORE_DEPLOYMENTS=(mcp-memory mcp-memory-http mcp-indexer mcp-indexer-http uploader)
# The plain-YAML order (without Kustomize): the base kustomization's resources, grouped by stage.
FOUNDATION_FILES=(namespace.yaml configmap.yaml rbac.yaml pvc.yaml networkpolicy.yaml)
STORE_FILES=(qdrant.yaml)
INIT_FILES=(init-collection-job.yaml)
CORE_FILES=(mcp-memory.yaml mcp-memory-http.yaml mcp-indexer.yaml mcp-indexer-http.yaml hpa.yaml uploader.yaml watchers.yaml pdb.yaml)
DECODER_FILES=(llamacpp.yaml)
INGRESS_FILES=(ingress.yaml ingress-sse.yaml ingress-qdrant.yaml)
DECODER_INGRESS_FILES=(ingress-llamacpp.yaml)

# One word as the shell reads it: bare when safe, else in single quotes.
q() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Quotes every argument with q and joins them with spaces.
qall() {
  local out="" w
  for w in "$@"; do out+="$(q "$w") "; done
  printf '%s' "${out% }"
}

# Prints a command as one shell-quoted line, then runs it unless this is a dry run.
run() {
  echo "+ $(qall "$@")"
  [ "$DRY_RUN" = 1 ] || "$@"
}

# Same for a pipeline `sed ... FILE | kubectl apply -f -`, given as one string of already quoted words.
run_pipeline() {
  echo "+ $1"
  [ "$DRY_RUN" = 1 ] || bash -o pipefail -c "$1"
}

say() {
  echo "==> $*"
}

# ---- What every mode shares -----------------------------------------------------------------------------

# Qdrant's API key: created once, with a random value, when the Secret context-engine-secrets has none (the
# prod overlay requires it; elsewhere Qdrant and its clients use it when present). An existing key is never
# changed, and the value is never printed.
ensure_qdrant_key() {
  local ns=(-n "$NAMESPACE") key
  say "Qdrant API key (Secret context-engine-secrets, created only when it has none)"
  echo "+ kubectl $(qall "${ns[@]}") get secret context-engine-secrets -o jsonpath={.data.QDRANT_API_KEY}"
  local create="kubectl $(qall "${ns[@]}") create secret generic context-engine-secrets --from-literal=QDRANT_API_KEY=<generated> --dry-run=client -o yaml | kubectl apply -f -"
  if [ "$DRY_RUN" = 1 ]; then
    echo "+ $create   # only when the key is missing"
    return
  fi
  if [ -n "$(kubectl "${ns[@]}" get secret context-engine-secrets -o jsonpath='{.data.QDRANT_API_KEY}' 2>/dev/null || true)" ]; then
    return
  fi
  key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "+ $create"
  # One after the other (the manifest held in a variable, never in a file): apply merges the key into an
  # existing Secret and keeps its other keys.
  local secret
  secret="$(kubectl "${ns[@]}" create secret generic context-engine-secrets --from-literal=QDRANT_API_KEY="$key" --dry-run=client -o yaml)"
  printf '%s\n' "$secret" | kubectl apply -f -
}

# What an earlier deploy made and this one leaves out (--skip-llamacpp, no --deploy-ingress) is removed, so the
# cluster matches the flags of the last run. Watchers, claims and the Secret are never touched here.
remove_left_out() {
  local ns=(-n "$NAMESPACE")
  if [ "$SKIP_LLAMACPP" = 1 ]; then
    say "removing llama.cpp if an earlier deploy made it"
    run kubectl "${ns[@]}" delete deployment,service,ingress -l app.kubernetes.io/name=llamacpp,app.kubernetes.io/part-of=context-engine --ignore-not-found
  fi
  if [ "$DEPLOY_INGRESS" = 0 ]; then
    say "removing the ingress routes if an earlier deploy made them"
    run kubectl "${ns[@]}" delete ingress -l app.kubernetes.io/part-of=context-engine --ignore-not-found
  fi
}

# ---- Kustomize: one rendered file, applied stage by stage with label selectors --------------------------

overlay_dir() {
  case "$OVERLAY" in
    base) echo "$HERE" ;;   # the base with the released image (kustomization.yaml beside this script)
    dev | prod | networkpolicy-strict) echo "$HERE/overlays/$OVERLAY" ;;
    *) [ -f "$OVERLAY/kustomization.yaml" ] || die "--overlay '$OVERLAY': no kustomization.yaml there"
       (cd "$OVERLAY" && pwd) ;;
  esac
}

# sha256 (16 hex) of the rendered context-engine-config ConfigMap: a pod-template annotation, so that a changed
# ConfigMap rolls the pods that read it (they read their env only at start).
config_hash() {
  awk 'function check() { if (doc ~ /(^|\n)kind: ConfigMap\n/ && doc ~ /\n  name: context-engine-config\n/) printf "%s", doc; doc = "" }
       /^---$/ { check(); next } { doc = doc $0 "\n" } END { check() }' "$1" | sha256sum | cut -c1-16
}

write_kustomization() {
  local dir="$1" hash="${2:-}" target rel
  target="$(overlay_dir)"
  rel="$(realpath --relative-to="$dir" "$target")"
  {
    echo "# Written by deploy.sh: ${OVERLAY} with the image and flags of this run."
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources:"
    echo "  - $rel"
    [ "$NAMESPACE" = context-engine ] || echo "namespace: $NAMESPACE"
    if [ "$IMAGE_SET" = 1 ]; then
      # Both names: the base's placeholder, and the released name the overlays' components/image gave it.
      echo "images:"
      for name in context-engine "$RELEASED_IMAGE"; do
        echo "  - name: $name"
        echo "    newName: $REGISTRY"
        echo "    newTag: \"$TAG\""
      done
    fi
    if [ -n "$hash" ]; then
      echo "commonAnnotations:"
      echo "  context-engine/config-hash: \"$hash\""
    fi
    if [ "$SKIP_LLAMACPP" = 1 ] || [ "$DEPLOY_INGRESS" = 0 ]; then
      echo "patches:"
    fi
    if [ "$SKIP_LLAMACPP" = 1 ]; then
      cat <<'EOF'
  - target: {kind: ConfigMap, name: context-engine-config}
    patch: |-
      - op: replace
        path: /data/LLAMACPP_URL
        value: ""
  - target: {kind: Deployment, name: llamacpp}
    patch: |-
      $patch: delete
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: llamacpp}
  - target: {kind: Service, name: llamacpp}
    patch: |-
      $patch: delete
      apiVersion: v1
      kind: Service
      metadata: {name: llamacpp}
EOF
      if [ "$DEPLOY_INGRESS" = 1 ]; then
        cat <<'EOF'
  - target: {kind: Ingress, name: context-engine-llamacpp}
    patch: |-
      $patch: delete
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: context-engine-llamacpp}
EOF
      fi
    fi
    if [ "$DEPLOY_INGRESS" = 0 ]; then
      cat <<'EOF'
  - target: {kind: Ingress}
    patch: |-
      $patch: delete
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: any}
EOF
    fi
  } >"$dir/kustomization.yaml"
}

deploy_kustomize() {
  local work manifests
  work="$(mktemp -d "${TMPDIR:-/tmp}/context-engine-deploy.XXXXXX")"
  WORK_DIR="$work"
  if [ "$DRY_RUN" = 1 ] && [ "$RENDER" = 0 ]; then
    say "kept for inspection: $work (kustomization.yaml, manifests.yaml)"
  else
    trap 'rm -rf "$WORK_DIR"' EXIT
  fi
  manifests="$work/manifests.yaml"
  # Rendered once to hash the ConfigMap, then with the hash on every pod template.
  write_kustomization "$work"
  kubectl kustomize "$work" >"$manifests"
  write_kustomization "$work" "$(config_hash "$manifests")"
  if [ "$RENDER" = 1 ]; then
    kubectl kustomize "$work"
    return
  fi
  say "rendering $(overlay_dir) with image $IMAGE"
  echo "+ kubectl kustomize $(q "$work") > $(q "$manifests")"
  kubectl kustomize "$work" >"$manifests"
  local ns=(-n "$NAMESPACE")

  say "foundation: namespace, config, RBAC, volumes, network policy"
  run kubectl apply -f "$manifests" -l context-engine/stage=foundation
  ensure_qdrant_key
  say "Qdrant"
  run kubectl apply -f "$manifests" -l context-engine/stage=store
  run kubectl "${ns[@]}" rollout status statefulset/qdrant --timeout="$TIMEOUT"
  say "collection and payload indexes"
  run kubectl "${ns[@]}" delete job init-collection --ignore-not-found
  run kubectl apply -f "$manifests" -l context-engine/stage=init
  run kubectl "${ns[@]}" wait --for=condition=complete job/init-collection --timeout="$TIMEOUT"
  say "MCP servers and uploader"
  run kubectl apply -f "$manifests" -l context-engine/stage=core
  if [ "$SKIP_LLAMACPP" = 0 ]; then
    say "llama.cpp decoder (the first start downloads the model)"
    run kubectl apply -f "$manifests" -l context-engine/stage=decoder
  fi
  local d
  for d in "${CORE_DEPLOYMENTS[@]}"; do
    run kubectl "${ns[@]}" rollout status "deployment/$d" --timeout="$TIMEOUT"
  done
  [ "$SKIP_LLAMACPP" = 1 ] || run kubectl "${ns[@]}" rollout status deployment/llamacpp --timeout="$TIMEOUT"
  if [ "$DEPLOY_INGRESS" = 1 ]; then
    say "ingress"
    run kubectl apply -f "$manifests" -l context-engine/stage=ingress
  fi
}

# ---- Plain YAML: the base files in dependency order, image and namespace substituted with sed -----------

apply_file() {
  local file="$HERE/base/$1" exprs=()
  grep -q 'image: context-engine:latest' "$file" && exprs+=(-e "s#image: context-engine:latest#image: ${IMAGE}#")
  if [ "$NAMESPACE" != context-engine ]; then
    exprs+=(-e "s#namespace: context-engine\$#namespace: ${NAMESPACE}#")
    [ "$1" = namespace.yaml ] && exprs+=(-e "s#^  name: context-engine\$#  name: ${NAMESPACE}#")
  fi
  [ "$SKIP_LLAMACPP" = 1 ] && [ "$1" = configmap.yaml ] && exprs+=(-e 's#^  LLAMACPP_URL: .*#  LLAMACPP_URL: ""#')
  if [ ${#exprs[@]} -eq 0 ]; then
    run kubectl apply -f "$file"
  else
    run_pipeline "sed $(qall "${exprs[@]}" "$file") | kubectl apply -f -"
  fi
}

deploy_plain() {
  local ns=(-n "$NAMESPACE") f d
  say "foundation: namespace, config, RBAC, volumes, network policy"
  for f in "${FOUNDATION_FILES[@]}"; do apply_file "$f"; done
  ensure_qdrant_key
  say "Qdrant"
  for f in "${STORE_FILES[@]}"; do apply_file "$f"; done
  run kubectl "${ns[@]}" rollout status statefulset/qdrant --timeout="$TIMEOUT"
  say "collection and payload indexes"
  run kubectl "${ns[@]}" delete job init-collection --ignore-not-found
  for f in "${INIT_FILES[@]}"; do apply_file "$f"; done
  run kubectl "${ns[@]}" wait --for=condition=complete job/init-collection --timeout="$TIMEOUT"
  say "MCP servers and uploader"
  for f in "${CORE_FILES[@]}"; do apply_file "$f"; done
  if [ "$SKIP_LLAMACPP" = 0 ]; then
    say "llama.cpp decoder (the first start downloads the model)"
    for f in "${DECODER_FILES[@]}"; do apply_file "$f"; done
  fi
  for d in "${CORE_DEPLOYMENTS[@]}"; do
    run kubectl "${ns[@]}" rollout status "deployment/$d" --timeout="$TIMEOUT"
  done
  [ "$SKIP_LLAMACPP" = 1 ] || run kubectl "${ns[@]}" rollout status deployment/llamacpp --timeout="$TIMEOUT"
  if [ "$DEPLOY_INGRESS" = 1 ]; then
    say "ingress"
    for f in "${INGRESS_FILES[@]}"; do apply_file "$f"; done
    if [ "$SKIP_LLAMACPP" = 0 ]; then
      for f in "${DECODER_INGRESS_FILES[@]}"; do apply_file "$f"; done
    fi
  fi
}

[ "$DRY_RUN" = 0 ] || say "dry run: the kubectl commands that change the cluster are printed, not run"
if [ "$USE_KUSTOMIZE" = 1 ]; then
  deploy_kustomize
else
  deploy_plain
fi
[ "$RENDER" = 1 ] || remove_left_out
[ "$RENDER" = 1 ] || say "done. Pods: kubectl get pods -n $NAMESPACE   Access: make port-forward (see README.md)"
