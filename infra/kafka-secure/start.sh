#!/usr/bin/env bash
# Start a second single-node Apache Kafka 4.x (KRaft) on loopback, secured, for the security int test
# (libs/platform/src/config/kafka-security.int-spec.ts). Same jars as infra/kafka (.infra/kafka/libs).
#   SASL_SSL  127.0.0.1:19093  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (unsecured JWS)  KAFKA_SECURE_SASL_PORT
#   SSL       127.0.0.1:19094  TLS with client certificates required (mTLS)                    KAFKA_SECURE_MTLS_PORT
#   CONTROLLER 127.0.0.1:19095 (PLAINTEXT, loopback only)                                     KAFKA_SECURE_CONTROLLER_PORT
# Each start is a fresh cluster: new CA (openssl), broker and client certificates, JKS/PKCS12 stores
# (keytool), random passwords; SCRAM users are added at format time (kafka-storage format --add-scram)
# and PLAIN users live in the listener's JAAS config. Everything a client needs is written to
# <repo>/.infra/kafka-secure/client/ (KAFKA_SECURE_STATE_DIR), listed in client/credentials.json:
#   ca.pem, client.pem, client.key, rogue-ca.pem (a CA the broker does not use), oauth.token,
#   and the users/passwords. Idempotent: when it is already running and answering, prints the
#   SASL_SSL address and exits 0. Needs java (17+, with keytool), openssl and node.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LIBS_DIR="$REPO_ROOT/.infra/kafka/libs"
STATE_DIR="${KAFKA_SECURE_STATE_DIR:-$REPO_ROOT/.infra/kafka-secure}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
# Symlinks resolved (a git worktree may link .infra to the main checkout): the running service is known by this path.
STATE_DIR="$(realpath -m "$STATE_DIR")"
DATA_DIR="$STATE_DIR/data"
TLS_DIR="$STATE_DIR/tls"
CLIENT_DIR="$STATE_DIR/client"
PROPS="$STATE_DIR/server.properties"
LOG4J_CONF="$STATE_DIR/log4j2.properties"
PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/kafka.log"
LOCK_FILE="$STATE_DIR/.lock"

HOST=127.0.0.1
SASL_PORT="${KAFKA_SECURE_SASL_PORT:-19093}"
MTLS_PORT="${KAFKA_SECURE_MTLS_PORT:-19094}"
CONTROLLER_PORT="${KAFKA_SECURE_CONTROLLER_PORT:-19095}"
DEADLINE_SECS="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"

log() { echo "[kafka-secure] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for bin in java keytool openssl node; do
  command -v "$bin" >/dev/null 2>&1 || die "'$bin' not found on PATH"
done

mkdir -p "$STATE_DIR"
exec 9>"$LOCK_FILE"
flock -w 300 9 || die "could not take $LOCK_FILE"

is_our_kafka() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $PROPS"
}
read_pid() { [[ -s "$PID_FILE" ]] && cat "$PID_FILE" || true; }
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }
wait_clients() { node "$SCRIPT_DIR/wait-ready.js" "$CLIENT_DIR/credentials.json" "$1"; }

pid="$(read_pid)"
if is_our_kafka "$pid"; then
  if wait_clients $((DEADLINE_SECS * 1000)); then
    log "already running (pid $pid)"
    echo "$HOST:$SASL_PORT"
    exit 0
  fi
  die "pid $pid is running but does not answer; see $LOG_FILE (infra/kafka-secure/stop.sh to reset)"
fi
rm -f "$PID_FILE"
for p in "$SASL_PORT" "$MTLS_PORT" "$CONTROLLER_PORT"; do
  port_open "$p" && die "port $HOST:$p is taken by a process that is not our broker"
done

# ---- jars: the ones infra/kafka fetched (fetched here the same way when it never ran) ----
if [[ ! -f "$LIBS_DIR/.pom.sha256" ]]; then
  LIBS_LOCK_FILE="$REPO_ROOT/.infra/kafka/.libs.lock"
  mkdir -p "$REPO_ROOT/.infra/kafka"
  # shellcheck source=../lib/fetch-jars.sh
  SCRIPT_DIR="$REPO_ROOT/infra/kafka" source "$SCRIPT_DIR/../lib/fetch-jars.sh"
  SCRIPT_DIR="$REPO_ROOT/infra/kafka" fetch_jars Kafka
fi

# ---- a fresh cluster every start: certificates, stores, passwords, data -----------------
rm -rf "$DATA_DIR" "$TLS_DIR" "$CLIENT_DIR"
mkdir -p "$DATA_DIR" "$TLS_DIR" "$CLIENT_DIR"
secret() { openssl rand -hex 16; }
STORE_PASS="$(secret)"
PLAIN_PASS="$(secret)"
SCRAM256_PASS="$(secret)"
SCRAM512_PASS="$(secret)"

gen_ca() { # <name> <subject>
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "$2" \
    -keyout "$TLS_DIR/$1.key" -out "$TLS_DIR/$1.pem" 2>/dev/null
}
gen_signed() { # <name> <subject> <extensions>
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$TLS_DIR/$1.key" -out "$TLS_DIR/$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$TLS_DIR/$1.ext"
  openssl x509 -req -in "$TLS_DIR/$1.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
    -days 30 -extfile "$TLS_DIR/$1.ext" -out "$TLS_DIR/$1.pem" 2>/dev/null
}
gen_ca ca "/CN=telemetry-test-ca"
gen_ca rogue-ca "/CN=telemetry-rogue-ca"
gen_signed broker "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
gen_signed client "/CN=telemetry-client" "extendedKeyUsage=clientAuth"
# The broker's key store (its key and certificate) as PKCS12, its trust store (the CA) built by keytool.
openssl pkcs12 -export -name broker -inkey "$TLS_DIR/broker.key" -in "$TLS_DIR/broker.pem" \
  -certfile "$TLS_DIR/ca.pem" -passout "pass:$STORE_PASS" -out "$TLS_DIR/broker.p12"
keytool -importcert -noprompt -alias ca -file "$TLS_DIR/ca.pem" -keystore "$TLS_DIR/truststore.jks" \
  -storetype JKS -storepass "$STORE_PASS" >/dev/null 2>&1 || die "keytool could not build the trust store"
cp "$TLS_DIR/ca.pem" "$TLS_DIR/rogue-ca.pem" "$TLS_DIR/client.pem" "$TLS_DIR/client.key" "$CLIENT_DIR/"
# An unsecured JWS (alg none), what the broker's default OAUTHBEARER validator accepts: proves the
# client's token plumbing, not a token issuer.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now="$(date +%s)"
printf '%s.%s.' "$(printf '{"alg":"none"}' | b64url)" \
  "$(printf '{"sub":"telemetry-oauth","iat":%d,"exp":%d}' "$now" $((now + 30 * 86400)) | b64url)" >"$CLIENT_DIR/oauth.token"
printf '%s' "$PLAIN_PASS" >"$CLIENT_DIR/plain.password"
printf '%s' "$SCRAM512_PASS" >"$CLIENT_DIR/scram512.password"
chmod 600 "$CLIENT_DIR"/* "$TLS_DIR"/*

cat >"$CLIENT_DIR/credentials.json" <<EOF
{
  "saslBroker": "$HOST:$SASL_PORT",
  "mtlsBroker": "$HOST:$MTLS_PORT",
  "caFile": "$CLIENT_DIR/ca.pem",
  "rogueCaFile": "$CLIENT_DIR/rogue-ca.pem",
  "clientCertFile": "$CLIENT_DIR/client.pem",
  "clientKeyFile": "$CLIENT_DIR/client.key",
  "oauthTokenFile": "$CLIENT_DIR/oauth.token",
  "plain": { "username": "telemetry-plain", "password": "$PLAIN_PASS", "passwordFile": "$CLIENT_DIR/plain.password" },
  "scram256": { "username": "telemetry-scram256", "password": "$SCRAM256_PASS" },
  "scram512": { "username": "telemetry-scram512", "password": "$SCRAM512_PASS", "passwordFile": "$CLIENT_DIR/scram512.password" }
}
EOF
chmod 600 "$CLIENT_DIR/credentials.json"

cat >"$LOG4J_CONF" <<'EOF'
status = warn
name = telemetry-infra-kafka-secure
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
EOF

cat >"$PROPS" <<EOF
# Generated by infra/kafka-secure/start.sh - regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=SASL_SSL://$HOST:$SASL_PORT,SSL://$HOST:$MTLS_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://$HOST:$SASL_PORT,SSL://$HOST:$MTLS_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
# The broker talks to itself over the mTLS listener with its own certificate.
inter.broker.listener.name=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$STORE_PASS
ssl.key.password=$STORE_PASS
ssl.truststore.type=JKS
ssl.truststore.location=$TLS_DIR/truststore.jks
ssl.truststore.password=$STORE_PASS
listener.name.ssl.ssl.client.auth=required
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_telemetry-plain="$PLAIN_PASS";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
log.dirs=$DATA_DIR
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
chmod 600 "$PROPS"

JAVA_OPTS=(
  $HEAP_OPTS
  -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
  -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=file:$LOG4J_CONF"
  "-Dkafka.logs.dir=$STATE_DIR"
)
CP="$LIBS_DIR/*"

# A fixed-format cluster id (22 base64url characters) saves a JVM start.
cluster_id="$(openssl rand 16 | b64url | cut -c1-22)"
log "formatting $DATA_DIR (cluster id $cluster_id) with the SCRAM users"
java "${JAVA_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --standalone \
  --add-scram "SCRAM-SHA-256=[name=telemetry-scram256,password=$SCRAM256_PASS]" \
  --add-scram "SCRAM-SHA-512=[name=telemetry-scram512,password=$SCRAM512_PASS]" >/dev/null \
  || die "storage format failed"

[[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
log "starting broker, log: $LOG_FILE"
# shellcheck source=../lib/launch-service.sh
source "$SCRIPT_DIR/../lib/launch-service.sh"
launch_and_wait broker "$SASL_PORT" "$HOST:$SASL_PORT" 50 wait_clients "broker listening but not serving SASL_SSL clients" -- \
  java "${JAVA_OPTS[@]}" -cp "$CP" kafka.Kafka "$PROPS"
