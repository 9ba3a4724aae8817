# The pipesoak image: what `pipesoak k8s` runs in its segment and merge pods (docs/kubernetes.md).
#   docker build -t pipesoak:0.1.0 .
# The CLI runs its TypeScript through tsx (a runtime dependency), so there is no build step.
# The Node major matches package.json "engines" (test/unit/dockerfile.test.ts checks it).
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# The lockfile first, so the dependency layer is rebuilt only when dependencies change.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

# The node user (uid 1000) of the node images; the manifests' securityContext runs as that uid.
USER node

ENTRYPOINT ["node", "runner/pipesoak.mjs"]
CMD ["--help"]
