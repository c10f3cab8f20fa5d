#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 (Debian's postgresql-15 binaries) on 127.0.0.1:55432
# with role/database telemetry/telemetry. Prints the DATABASE_URL on stdout.
#
# Data dir: <repo>/.infra/postgres/data. When run as root the server runs as the
# `postgres` OS user (via runuser); if that user cannot traverse the repo path, the
# state moves to /var/tmp/telemetry-pg-<hash of repo path>/ instead (same layout).
# When run as a normal user the server runs as that user (no runuser, no apt).
# Unix socket: /tmp/telemetry-pg-55432 (private to the server's OS user).
# Idempotent: if our server is already running and answering, does nothing.
# Tuned for tests, not durability: fsync/synchronous_commit/full_page_writes are off.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
HOST=127.0.0.1
PORT=55432
SOCKET_DIR="/tmp/telemetry-pg-$PORT"
DB_NAME=telemetry
DB_USER=telemetry
DB_PASSWORD=telemetry
DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@$HOST:$PORT/$DB_NAME"
DEADLINE_SECS="${PG_START_TIMEOUT:-60}"
FALLBACK_HOME="/var/tmp/telemetry-pg-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-8)"

log() { echo "[postgres] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

IS_ROOT=0
AS_PG=()   # prefix that runs a command as the server's OS user
if [[ "$(id -u)" == 0 ]]; then IS_ROOT=1; AS_PG=(runuser -u postgres --); fi
as_pg() { "${AS_PG[@]}" "$@"; }

# ---- binaries ---------------------------------------------------------------------
if [[ ! -x "$PG_BIN/initdb" ]]; then
  log "$PG_BIN/initdb missing: installing postgresql-$PG_MAJOR from apt"
  SUDO=()
  if ((!IS_ROOT)); then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
      || die "postgresql-$PG_MAJOR is not installed and we are not root (apt-get install -y postgresql-$PG_MAJOR)"
    SUDO=(sudo -n)
  fi
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "postgresql-$PG_MAJOR" >&2
  [[ -x "$PG_BIN/initdb" ]] || die "postgresql-$PG_MAJOR installed but $PG_BIN/initdb is still missing"
fi
((IS_ROOT)) && ! id postgres >/dev/null 2>&1 && die "no 'postgres' OS user"

# ---- where the state lives --------------------------------------------------------
mkdir -p "$REPO_ROOT/.infra"
exec 9>"$REPO_ROOT/.infra/.postgres.lock"
flock -w 300 9 || die "could not take the postgres lock"

REPO_HOME="$REPO_ROOT/.infra/postgres"
if [[ -f "$FALLBACK_HOME/data/PG_VERSION" && ! -f "$REPO_HOME/data/PG_VERSION" ]]; then
  PG_HOME="$FALLBACK_HOME"
elif ((IS_ROOT)) && ! runuser -u postgres -- test -x "$REPO_ROOT"; then
  PG_HOME="$FALLBACK_HOME"
  log "user postgres cannot traverse $REPO_ROOT; using $PG_HOME"
else
  PG_HOME="$REPO_HOME"
  chmod a+x "$REPO_ROOT/.infra"   # the server user must be able to reach .infra/postgres
fi
DATA_DIR="$PG_HOME/data"
LOG_FILE="$PG_HOME/postgres.log"
mkdir -p "$PG_HOME" "$SOCKET_DIR"
if ((IS_ROOT)); then chown postgres:postgres "$PG_HOME" "$SOCKET_DIR"; fi
chmod 700 "$SOCKET_DIR"

pg_ready() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PORT" -d postgres -t 2; }
pg_running() { [[ -f "$DATA_DIR/PG_VERSION" ]] && as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; }
wait_ready() {
  local deadline=$((SECONDS + DEADLINE_SECS))
  until pg_ready; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Role + database, created only if missing. Also run when the server is already up, so
# a start.sh interrupted between pg_ctl and this step is repaired by the next run.
ensure_role_and_db() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres \
    >/dev/null <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
EOF
}

# ---- already running? -------------------------------------------------------------
if pg_running; then
  wait_ready || die "server in $DATA_DIR is running but $HOST:$PORT does not answer; see $LOG_FILE"
  ensure_role_and_db
  log "already running ($DATA_DIR)"
  echo "$DATABASE_URL"
  exit 0
fi

# ---- initdb once --------------------------------------------------------------------
if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then
  rm -rf "$DATA_DIR"
  log "initdb $DATA_DIR"
  # Local (socket) auth is trust: the socket dir is private to the server's OS user.
  # TCP needs the password (scram-sha-256).
  as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --encoding=UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
  echo "include_if_exists = 'telemetry.conf'" | as_pg tee -a "$DATA_DIR/postgresql.conf" >/dev/null
fi

# Settings, rewritten on every start so edits here take effect.
as_pg tee "$DATA_DIR/telemetry.conf" >/dev/null <<EOF
# Generated by infra/postgres/start.sh - overwritten on every start.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
shared_buffers = 128MB
# test database: speed over crash safety
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF

# ---- start ----------------------------------------------------------------------------
[[ -f "$LOG_FILE" ]] && as_pg mv -f "$LOG_FILE" "$LOG_FILE.1"
log "starting, log: $LOG_FILE"
# setsid: own session, out of the caller's process group. 9>&- : don't inherit the lock.
if ! setsid -w "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$DEADLINE_SECS" start >/dev/null 9>&-; then
  tail -n 30 "$LOG_FILE" >&2 || true
  die "pg_ctl start failed (is port $PORT taken?)"
fi
wait_ready || die "$HOST:$PORT not answering after ${DEADLINE_SECS}s; see $LOG_FILE"

ensure_role_and_db
log "ready ($DATA_DIR)"
echo "$DATABASE_URL"
