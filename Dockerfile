# syntax=docker/dockerfile:1
# One image for every Context Engine server role: the MCP servers, the watchers, the uploader and the
# collection init Job all run `context-engine <command>` (see k8s/). Build from the repository root:
#   docker build -t your-registry/context-engine:latest .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: bundle the server into server/dist (pure-JS packages bundled; native ones stay external) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
COPY server/package.json server/
COPY extension/package.json extension/
# Only what bundling needs: the root's tools (esbuild) and the server's packages; no native builds.
RUN npm ci --workspace server --include-workspace-root --ignore-scripts
COPY tsconfig.base.json esbuild.mjs ./
# esbuild.mjs imports the extension's manifest renderer; it only runs when the extension's sources are there.
COPY extension/scripts/ extension/scripts/
COPY server/ server/
RUN npm run build

# ---- deps: production node_modules, with better-sqlite3 compiled for this platform ----------------------
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY server/package.json server/
COPY extension/package.json extension/
# The embedder the cluster uses by default is an optional peer of the server package (a global CLI install leaves
# it out): added here at the version server/package.json names. The cluster decodes with the llama.cpp server, so
# the embedded decoder (node-llama-cpp, another optional peer) is not installed.
RUN npm ci --omit=dev --workspace server --ignore-scripts \
 && npm install --no-save --omit=dev --ignore-scripts \
      "@huggingface/transformers@$(node -p "require('./server/package.json').peerDependencies['@huggingface/transformers']")" \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# curl: the health checks and snapshot steps of k8s/README.md run `kubectl exec ... -- curl`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
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
