# syntax=docker/dockerfile:1
#
# One image for every app. The default command runs the all-in-one (embedded event log and SQL
# store under /data); override the command to run one app of the distributed mode:
#   node dist/apps/ingest-api/src/main.js | dist/apps/enricher/src/main.js | dist/apps/query-api/src/main.js
#
#   docker build -t telemetry-api --build-arg GIT_SHA=$(git rev-parse HEAD) .
#   docker run --rm -p 8080:8080 -e API_KEY=change-me-please -v telemetry-data:/data telemetry-api

# The base image, pinned by digest for reproducible builds: node:24-bookworm-slim as published for
# Node 24.18.0. Docker Hub cannot be reached where this file is written, so the digest is the one
# three unrelated public projects pin for that tag and version, not one looked up here. Bump it
# (Renovate/Dependabot do this) with the digest the registry gives now:
#   docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<that digest> .
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---- build: compile TypeScript, then drop the dev dependencies ------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# swagger-ui-dist pulls in @scarf/scarf, whose install script phones home; opt out.
ENV SCARF_ANALYTICS=false \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# The product only: tsconfig.build.json leaves out specs, libs/testing and every */testing/ folder
# (checked below, and by test/layout). Then production dependencies only, less what never runs:
# type declarations, TypeORM's browser build, and the two ip-location-db ASN files the enricher
# does not read (it reads asn-ipv4-num.csv and asn-ipv6.csv; see libs/enrichment/src/asn-range-table.ts).
# The embedded mode needs no package of its own: its SQL store is node:sqlite, built into Node 24,
# and its event log is the product's own code, so there is nothing to leave out for the distributed mode.
RUN npm run build \
 && if find dist -type d -name testing | grep -q . || find dist -name '*spec.js' | grep -q .; then echo 'test code in dist' >&2; exit 1; fi \
 && rm -f dist/.tsbuildinfo \
 && npm prune --omit=dev \
 && rm -f node_modules/@ip-location-db/asn/asn-ipv4.csv node_modules/@ip-location-db/asn/asn-ipv6-num.csv \
 && rm -rf node_modules/typeorm/browser \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

# ---- runtime --------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG GIT_SHA=unknown
ARG TELEMETRY_VERSION=
LABEL org.opencontainers.image.title="telemetry-api" \
      org.opencontainers.image.description="Network telemetry enrichment as an event-sourced CQRS service on Apache Kafka" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${GIT_SHA}"
# TELEMETRY_VERSION left empty means "the version the app was built as" (its own fallback).
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    GIT_SHA=${GIT_SHA} \
    TELEMETRY_VERSION=${TELEMETRY_VERSION}
WORKDIR /app
# Files stay root-owned (read-only for the app); only /data is writable. uid/gid 1000 is the
# image's `node` user, given numerically so Kubernetes can verify runAsNonRoot.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY samples ./samples
# /data/geoip: where uploaded or downloaded GeoIP/ASN databases go (a volume shared by query-api and enricher).
RUN mkdir -p /data/geoip && chown -R 1000:1000 /data
VOLUME ["/data"]
USER 1000:1000
EXPOSE 8080
# No curl in the slim image: ask node. /health/ready answers 200 while the event log, the store and
# every consumer are up (503 naming what is not); /health/live is the process alone.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/all-in-one/src/main.js"]
