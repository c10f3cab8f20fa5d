# Shared by infra/*/stop.sh: stop the process a start.sh launched, found by its pid file and
# checked against its command line (a recycled pid is never killed). SIGTERM, wait up to
# TIMEOUT seconds, then SIGKILL; --clean also removes the data dir. Idempotent.
#
# The caller sets: NAME (log prefix), STATE_DIR, PID_FILE, DATA_DIR, CMDLINE_PATTERN, TIMEOUT,
# HELP_LINES (lines of the caller's header comment to print for --help), then calls
# `stop_service "$@"`.

stop_service() {
  local clean=0 arg
  for arg in "$@"; do
    case "$arg" in
      --clean) clean=1 ;;
      -h|--help) sed -n "2,${HELP_LINES}p" "$0"; exit 0 ;;
      *) echo "usage: $0 [--clean]" >&2; exit 2 ;;
    esac
  done

  log() { echo "[$NAME] $*" >&2; }

  [[ -d "$STATE_DIR" ]] || { log "nothing to stop"; exit 0; }
  exec 9>"$STATE_DIR/.lock"
  flock -w 300 9 || { log "ERROR: could not take $STATE_DIR/.lock"; exit 1; }

  local pid
  pid="$( [[ -s "$PID_FILE" ]] && cat "$PID_FILE" || true )"
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$CMDLINE_PATTERN"; then
    log "stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + TIMEOUT))
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
}
