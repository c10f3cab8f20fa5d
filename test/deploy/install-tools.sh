#!/usr/bin/env bash
# The deploy tests' tools, under .infra/bin (idempotent; .ci/run calls it, the tests too):
#   helm                        built from the Go module proxy at a pinned version (no Debian
#                               package ships helm; `go install` of its module is reproducible)
#   telemetry-deploy-validator  test/deploy/validator: strict decoding of rendered manifests into
#                               the k8s.io/api types, and compose-go's loader for docker-compose.yml
# Both need Go. Modules are cached under .infra/go; compiled packages in Go's own build cache
# (GOCACHE, per machine: with -trimpath a clone in another folder reuses it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HELM_VERSION=v3.22.0
bin="$root/.infra/bin"
mkdir -p "$bin"
go="$(command -v go || echo /usr/local/go/bin/go)"
[ -x "$go" ] || { echo "install-tools: Go is required (the Go module proxy builds helm and the validator)" >&2; exit 1; }
export GOPATH="$root/.infra/go" GOMODCACHE="$root/.infra/go/pkg/mod" GOTOOLCHAIN=local GOFLAGS=-trimpath

if [ "$(cat "$bin/helm.version" 2>/dev/null)" != "$HELM_VERSION" ] || [ ! -x "$bin/helm" ]; then
  echo "install-tools: building helm $HELM_VERSION from the Go module proxy (a few minutes the first time)" >&2
  GOBIN="$bin" "$go" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" > "$bin/helm.version"
fi
# Go's build cache makes this a no-op when the validator did not change.
(cd "$root/test/deploy/validator" && GOFLAGS="$GOFLAGS -mod=readonly" "$go" build -o "$bin/telemetry-deploy-validator" .)
