# shellcheck shell=bash
# Connection settings for the services started by infra/kafka/start.sh,
# infra/postgres/start.sh and infra/opensearch/start.sh. Usage: source infra/env.sh
export KAFKA_BROKERS=127.0.0.1:39092
export DATABASE_URL=postgres://telemetry:telemetry@127.0.0.1:55432/telemetry
export OPENSEARCH_URL=http://127.0.0.1:39200
