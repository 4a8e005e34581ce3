# glassbench in a container: Debian 12 (bookworm), Node 20, Debian's chromium and every system package of
# scripts/system-packages.txt, installed by scripts/setup-system.sh: the one list the tests use too.
# Node 20 comes from the official node:20-bookworm-slim image (Debian 12 underneath): Debian 12's own nodejs is
# 18, below glassbench's engines (>= 20.19). This image is not built where glassbench is developed (that machine
# has no network); docs/deploy.md says what was checked instead.
#
#   docker build -t glassbench .
#   docker run --rm --shm-size=1g -v "$PWD/reports:/glassbench/reports" glassbench run scenarios/smoke.yaml
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /glassbench
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; esbuild works without its postinstall
RUN npm ci --ignore-scripts
COPY . .
# the commit `glassbench --version` and every summary name (.git stays out of the image):
# docker build --build-arg GLASSBENCH_COMMIT="$(git rev-parse --short=12 HEAD)" .
ARG GLASSBENCH_COMMIT=unknown
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
WORKDIR /glassbench
COPY scripts/setup-system.sh scripts/system-packages.txt scripts/
# policy-rc.d 101 ("action forbidden"): the packages' services (influxdb, coturn, janus) do not start in the build
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
  && bash scripts/setup-system.sh \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /glassbench /glassbench
# the directory itself too: runs write reports/ and .cache/ under it
RUN chown node:node /glassbench
# Runs as the image's unprivileged `node` user; Chromium is started with --no-sandbox, which works as any user.
# Network impairment (scenario `network`) makes namespaces: run those as root with CAP_NET_ADMIN (docs/deploy.md).
USER node
ENV NODE_ENV=production
ENTRYPOINT ["node", "/glassbench/dist/src/cli/main.js"]
CMD ["--help"]
