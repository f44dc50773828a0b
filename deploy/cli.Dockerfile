# Image of the batch-infer CLI for the CronJob example (deploy/cronjob.yaml). Build from the repository root:
#   docker build -f deploy/cli.Dockerfile -t registry.example.com/batch-infer:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
# onnxruntime-node's install script would download CUDA libraries: the package's own switch turns it off.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY src/ src/
COPY test/ test/
COPY bin/ bin/
COPY wasm/ wasm/
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/bin/ bin/
COPY --from=build /src/wasm/ wasm/
COPY fixtures/models/ fixtures/models/
USER node
ENTRYPOINT ["node", "/app/bin/batch-infer.js"]
