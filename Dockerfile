# syntax=docker/dockerfile:1
# One image for every Context Engine server role: the MCP servers, the watchers, the uploader and the
# collection init Job all run `context-engine <command>` (see k8s/). Build from the repository root:
#   docker build -t ghcr.io/context-engine/context-engine:0.1.0 .
# NODE_IMAGE builds (any Node 20 image on Debian bookworm with npm); RUNTIME_IMAGE runs (Debian bookworm, to
# which the build's `node` binary is copied: no npm, no headers, no yarn in the image). The container test
# (test/integration/container-image.test.ts) builds from both made without a registry (.ci/setup-podman).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- manifests: the package.json files cut down to what installing reads -------------------------------
# A change to scripts or to the extension's contributions then reuses the cached install layers below.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /m
COPY package.json package-lock.json .npmrc ./
COPY server/package.json server/
COPY extension/package.json extension/
RUN node -e 'const fs = require("fs"); \
  const keep = ["name", "version", "private", "type", "workspaces", "bin", "engines", "os", "cpu", "dependencies", "devDependencies", \
    "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "bundleDependencies", "overrides"]; \
  for (const f of ["package.json", "server/package.json", "extension/package.json"]) { \
    const p = JSON.parse(fs.readFileSync(f, "utf8")); \
    fs.writeFileSync(f, JSON.stringify(Object.fromEntries(keep.filter((k) => k in p).map((k) => [k, p[k]])), null, 2)); }'

# ---- build: bundle the server into server/dist (pure-JS packages bundled; native ones stay external) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY --from=manifests /m/ ./
# Only what bundling needs: the root's tools (esbuild) and the server's packages (pure-JS ones are bundled in);
# no install scripts, no native builds.
RUN npm ci --workspace server --include-workspace-root --ignore-scripts
COPY package.json tsconfig.base.json esbuild.mjs ./
# esbuild.mjs imports the extension's manifest renderer; it only runs when the extension's sources are there.
COPY extension/scripts/ extension/scripts/
COPY server/ server/
RUN npm run build

# ---- deps: production node_modules for this platform, better-sqlite3 compiled, dead weight removed -----
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
WORKDIR /app
COPY --from=manifests /m/ ./
# Node's headers come with the Node image: node-gyp builds against them instead of downloading them.
ENV npm_config_nodedir=/usr/local
# What the cluster does not run, removed before the layer is written (see k8s/README.md, "The image"):
#  - the embedded decoder's llama.cpp builds and sources (the cluster decodes with the llama.cpp server;
#    LLAMACPP_MODEL_PATH in the image says the binary is missing);
#  - onnxruntime-node's binaries for other systems and architectures;
#  - onnxruntime-web (transformers' Node build carries the part of it that it uses);
#  - better-sqlite3's compiler inputs and objects (only build/Release/better_sqlite3.node is loaded);
#  - typescript, installed only as @qdrant/js-client-rest's peer for its type declarations.
#  - node-llama-cpp is an optional peer of the server package and is not installed at all; the embedder the
#    cluster uses by default, @huggingface/transformers, is another optional peer: added at the version
#    server/package.json names.
RUN npm ci --omit=dev --workspace server --ignore-scripts \
 && npm install --no-save --omit=dev --ignore-scripts \
      "@huggingface/transformers@$(node -p "require('./server/package.json').peerDependencies['@huggingface/transformers']")" \
 && npm rebuild better-sqlite3 \
 && arch="$(node -p 'process.arch')" \
 && rm -rf node_modules/@node-llama-cpp node_modules/node-llama-cpp/llama/gitRelease.bundle node_modules/onnxruntime-web node_modules/typescript \
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 ! -name linux -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 ! -name "$arch" -exec rm -rf {} + \
 && cd node_modules/better-sqlite3 && rm -rf deps src build/Release/obj* build/Release/.deps build/deps build/Release/test_extension.node \
 && cd /app && npm cache clean --force \
 && node -e 'require("better-sqlite3")(":memory:").prepare("select 1").get(); require("onnxruntime-node")'

# ---- runtime ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# curl: the health checks and snapshot steps of k8s/README.md run `kubectl exec ... -- curl`.
# The `node` user (uid 1000) as the Node images have it; the pods run as 1000.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && (getent passwd 1000 >/dev/null || (groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node))
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY server/package.json server/
COPY server/bin/ server/bin/
COPY --from=build /src/server/dist/ server/dist/
# The server package's bin (a launcher of dist/cli.js), as `npm install` would link it.
RUN chmod 0755 server/bin/context-engine.js \
 && ln -s /app/server/bin/context-engine.js /usr/local/bin/context-engine
# The image's `node` user; numeric so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["context-engine"]
CMD ["--help"]
