# syntax=docker/dockerfile:1
# The Slipway controller image (controller + admission webhook in one process). Node.js 24 runs the
# TypeScript sources directly (type stripping), so there is no build step: the first stage only installs
# the production dependencies. Build: docker build -t slipway:dev .   (npm run e2e:kind does it for you)

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# devDependencies (the `node` runtime package, vitest, typescript…) are not needed at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Without npm and corepack the image has less to patch; the controller never installs anything.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY webhook ./webhook
# Non-root, numeric (runAsNonRoot can verify it); the chart also mounts the root filesystem read-only.
USER 65532:65532
EXPOSE 8080 9443
ENTRYPOINT ["node", "bin/slipway.js"]
CMD ["controller"]
