# shellcheck shell=bash
# Connection settings for the services started by infra/kafka/start.sh,
# infra/postgres/start.sh and infra/opensearch/start.sh. Usage: source infra/env.sh
export KAFKA_BROKERS=127.0.0.1:39092
export DATABASE_URL=postgres://telemetry:telemetry@127.0.0.1:55432/telemetry
export OPENSEARCH_URL=http://127.0.0.1:39200
# The secured second broker of infra/kafka-secure/start.sh (SASL_SSL and mTLS listeners); its CA,
# client certificate, tokens and users are listed in the credentials file it writes at each start.
export KAFKA_SECURE_BROKERS=127.0.0.1:19093
KAFKA_SECURE_CREDENTIALS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.infra/kafka-secure/client/credentials.json"
export KAFKA_SECURE_CREDENTIALS
