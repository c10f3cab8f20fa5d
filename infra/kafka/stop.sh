#!/usr/bin/env bash
# Stop the broker started by infra/kafka/start.sh: SIGTERM (controlled shutdown),
# wait up to KAFKA_STOP_TIMEOUT seconds (default 30), then SIGKILL.
#   --clean   also delete the data dir (.infra/kafka/data); the jars are kept.
# KAFKA_STATE_DIR (default <repo>/.infra/kafka) selects the broker, as for start.sh.
# Idempotent: not running is not an error.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="${KAFKA_STATE_DIR:-$REPO_ROOT/.infra/kafka}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
# Symlinks resolved (a git worktree may link .infra to the main checkout): the running service is known by this path.
STATE_DIR="$(realpath -m "$STATE_DIR")"

NAME=kafka
DATA_DIR="$STATE_DIR/data"
PID_FILE="$STATE_DIR/kafka.pid"
CMDLINE_PATTERN="kafka.Kafka $STATE_DIR/server.properties"
TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HELP_LINES=6
# shellcheck source=../lib/stop-service.sh
source "$SCRIPT_DIR/../lib/stop-service.sh"
stop_service "$@"
