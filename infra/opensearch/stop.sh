#!/usr/bin/env bash
# Stop the node started by infra/opensearch/start.sh: SIGTERM (the launcher's shutdown hook
# closes the node cleanly), wait up to OPENSEARCH_STOP_TIMEOUT seconds (default 30), then SIGKILL.
#   --clean   also delete the data dir (.infra/opensearch/data); the jars are kept.
# OPENSEARCH_STATE_DIR (default <repo>/.infra/opensearch) selects the node, as for start.sh.
# Idempotent: not running is not an error.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="${OPENSEARCH_STATE_DIR:-$REPO_ROOT/.infra/opensearch}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
STATE_DIR="${STATE_DIR%/}"
DATA_DIR="$STATE_DIR/data"
PID_FILE="$STATE_DIR/opensearch.pid"
LOCK_FILE="$STATE_DIR/.lock"
TIMEOUT="${OPENSEARCH_STOP_TIMEOUT:-30}"

clean=0
for arg in "$@"; do
  case "$arg" in
    --clean) clean=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--clean]" >&2; exit 2 ;;
  esac
done

log() { echo "[opensearch] $*" >&2; }

[[ -d "$STATE_DIR" ]] || { log "nothing to stop"; exit 0; }
exec 9>"$LOCK_FILE"
flock -w 300 9 || { log "ERROR: could not take $LOCK_FILE"; exit 1; }

is_our_node() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "OpenSearchNode.java $STATE_DIR "
}

pid="$( [[ -s "$PID_FILE" ]] && cat "$PID_FILE" || true )"
if is_our_node "$pid"; then
  log "stopping node (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  log "stopped"
else
  log "not running"
fi
rm -f "$PID_FILE"

if ((clean)); then
  rm -rf "$DATA_DIR"
  log "removed $DATA_DIR"
fi
