# Shared by infra/kafka/start.sh and infra/opensearch/start.sh: launch a JVM service in the
# background in its own session, then wait until its port is open and it answers its own
# readiness probe. On any failure: show the log tail, stop what was started, exit 1.
#
# The caller defines log(), read_pid() and port_open(), sets PID_FILE, LOG_FILE, DEADLINE_SECS,
# and calls:
#   launch_and_wait <what> <port> <address> <stop-wait-iterations> <ready-fn> <not-ready-message> -- <command...>
# It prints <address> on stdout once ready.

launch_and_wait() {
  local what="$1" port="$2" address="$3" stop_iterations="$4" ready_fn="$5" not_ready="$6"
  shift 6
  [[ "$1" == "--" ]] && shift
  # The inner bash writes its own pid then execs the command, so the pid file holds java's pid.
  # setsid: own session, so Ctrl-C / a test runner killing our process group leaves it alone.
  # 9>&- : the service must not inherit the lock fd.
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" "$@" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &

  local deadline=$((SECONDS + DEADLINE_SECS)) pid=""
  # On failure: show the log tail and do not leave a half-started service behind.
  launch_failed() {
    log "ERROR: $*"
    tail -n 40 "$LOG_FILE" >&2 || true
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq "$stop_iterations"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    exit 1
  }
  while :; do
    [[ -z "$pid" ]] && pid="$(read_pid)"
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      launch_failed "$what (pid $pid) exited during startup"
    fi
    [[ -n "$pid" ]] && port_open "$port" && break
    ((SECONDS < deadline)) || launch_failed "$what not listening on $address after ${DEADLINE_SECS}s"
    sleep 0.2
  done
  local remaining_ms=$(((deadline - SECONDS) * 1000))
  ((remaining_ms > 1000)) || remaining_ms=1000
  "$ready_fn" "$remaining_ms" || launch_failed "$not_ready"
  log "ready (pid $pid)"
  echo "$address"
}
