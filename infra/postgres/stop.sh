#!/usr/bin/env bash
# Stop the PostgreSQL started by infra/postgres/start.sh (pg_ctl stop -m fast, then
# -m immediate if it does not stop within PG_STOP_TIMEOUT seconds, default 30).
#   --clean   also delete the data dir and log.
# Looks in both places start.sh may use: <repo>/.infra/postgres and
# /var/tmp/telemetry-pg-<hash of repo path>. Idempotent: not running is not an error.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
PG_BIN="/usr/lib/postgresql/15/bin"
SOCKET_DIR="/tmp/telemetry-pg-55432"
TIMEOUT="${PG_STOP_TIMEOUT:-30}"
FALLBACK_HOME="/var/tmp/telemetry-pg-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-8)"

clean=0
for arg in "$@"; do
  case "$arg" in
    --clean) clean=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--clean]" >&2; exit 2 ;;
  esac
done

log() { echo "[postgres] $*" >&2; }

AS_PG=()
[[ "$(id -u)" == 0 ]] && AS_PG=(runuser -u postgres --)
as_pg() { "${AS_PG[@]}" "$@"; }

if [[ -d "$REPO_ROOT/.infra" ]]; then
  exec 9>"$REPO_ROOT/.infra/.postgres.lock"
  flock -w 300 9 || { log "ERROR: could not take the postgres lock"; exit 1; }
fi

stopped_any=0
for home in "$REPO_ROOT/.infra/postgres" "$FALLBACK_HOME"; do
  data="$home/data"
  [[ -f "$data/PG_VERSION" ]] || continue
  if [[ -x "$PG_BIN/pg_ctl" ]] && as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "stopping ($data)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t "$TIMEOUT" stop >/dev/null; then
      log "fast shutdown timed out, using immediate"
      as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t "$TIMEOUT" stop >/dev/null
    fi
    log "stopped"
    stopped_any=1
  fi
done
((stopped_any)) || log "not running"

if ((clean)); then
  for home in "$REPO_ROOT/.infra/postgres" "$FALLBACK_HOME"; do
    if [[ -e "$home" ]]; then
      rm -rf "$home"
      log "removed $home"
    fi
  done
  rm -rf "$SOCKET_DIR"
fi
