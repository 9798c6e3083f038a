# syntax=docker/dockerfile:1
# One image for every Backchannel service; the command names the service:
#   docker run backchannel:<version> gateway          (or backchannel, token, notifier, approvals, ping-delivery)
#   docker run backchannel:<version> ops verify --all
# deploy/image/reproduce.sh performs the runtime stage's install and start without Docker, in the
# test command: no runtime code may need a devDependency or a file outside what is copied here.

ARG NODE_IMAGE=node:20.20-bookworm-slim

# 1. Build: every dependency, the compiled output and the web apps' files.
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json .swcrc nest-cli.json ./
COPY apps apps
COPY libs libs
RUN npm run build

# 2. Production dependencies only.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: the built output, production dependencies, tini as PID 1, a numeric non-root user;
#    the file system can be mounted read-only (nothing is written but to /tmp).
FROM ${NODE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /build/node_modules node_modules
COPY --from=build /build/dist dist
COPY package.json deploy/image/entrypoint.sh ./
USER 10001:10001
EXPOSE 3000 9464
ENTRYPOINT ["/usr/bin/tini", "--", "/app/entrypoint.sh"]
CMD ["gateway"]
