# Shared by infra/kafka/start.sh and infra/opensearch/start.sh: fetch a service's jars with Maven
# from its pom.xml into LIBS_DIR, once per pom (its sha256 is kept beside the jars), under a lock so
# that several starts at once (a dedicated second broker, parallel CI steps) fetch them only once.
#
# The caller defines log() and die(), sets SCRIPT_DIR (holding pom.xml), LIBS_DIR and LIBS_LOCK_FILE,
# and calls: fetch_jars <what>   (e.g. "Kafka")

fetch_jars() {
  local what="$1" pom_sum
  pom_sum="$(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"
  libs_current() { [[ "$(cat "$LIBS_DIR/.pom.sha256" 2>/dev/null || true)" == "$pom_sum" ]]; }
  if ! libs_current; then
    exec 8>"$LIBS_LOCK_FILE"
    flock -w 600 8 || die "could not take $LIBS_LOCK_FILE"
  fi
  if ! libs_current; then
    command -v mvn >/dev/null 2>&1 || die "'mvn' not found (needed once to fetch the $what jars)"
    log "fetching $what jars with Maven into $LIBS_DIR"
    rm -rf "$LIBS_DIR.tmp"
    local mvn_out
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
}
