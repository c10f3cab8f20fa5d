#!/usr/bin/env bash
# Stop the node started by infra/opensearch/start.sh: SIGTERM (the launcher's shutdown hook
# closes the node cleanly), wait up to OPENSEARCH_STOP_TIMEOUT seconds (default 30), then SIGKILL.
#   --clean   also delete the data dir (.infra/opensearch/data); the jars are kept.
# OPENSEARCH_STATE_DIR (default <repo>/.infra/opensearch) selects the node, as for start.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="${OPENSEARCH_STATE_DIR:-$REPO_ROOT/.infra/opensearch}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
# Symlinks resolved (a git worktree may link .infra to the main checkout): the running service is known by this path.
STATE_DIR="$(realpath -m "$STATE_DIR")"
STATE_DIR="${STATE_DIR%/}"

NAME=opensearch
DATA_DIR="$STATE_DIR/data"
PID_FILE="$STATE_DIR/opensearch.pid"
CMDLINE_PATTERN="OpenSearchNode.java $STATE_DIR "
TIMEOUT="${OPENSEARCH_STOP_TIMEOUT:-30}"
HELP_LINES=5
# shellcheck source=../lib/stop-service.sh
source "$SCRIPT_DIR/../lib/stop-service.sh"
stop_service "$@"
