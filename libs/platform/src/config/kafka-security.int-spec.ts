import { readFileSync } from 'node:fs';
import { KafkaEventLog, KafkaEventLogOptions } from '@telemetry/event-log';
import { uniqueName, waitFor } from '@telemetry/testing';
import { ConfigReader } from './config-reader';
import { readKafkaClientConfig } from './kafka.config';

// Every security mode against the secured second broker of infra/kafka-secure/start.sh (SASL_SSL on
// one listener, mTLS on another), configured the way an operator does: KAFKA_* variables, secrets
// from files where they can be.

interface SecureBroker {
  readonly saslBroker: string;
  readonly mtlsBroker: string;
  readonly caFile: string;
  readonly rogueCaFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly oauthTokenFile: string;
  readonly plain: { readonly username: string; readonly password: string; readonly passwordFile: string };
  readonly scram256: { readonly username: string; readonly password: string };
  readonly scram512: { readonly username: string; readonly password: string; readonly passwordFile: string };
}

function secureBroker(): SecureBroker {
  const file = process.env.KAFKA_SECURE_CREDENTIALS;
  if (!file) throw new Error('KAFKA_SECURE_CREDENTIALS is not set: start the secured broker with infra/kafka-secure/start.sh and source infra/env.sh');
  return JSON.parse(readFileSync(file, 'utf8')) as SecureBroker;
}

const broker = secureBroker();

/** The adapter options an operator's environment gives (through the product's own config reader). */
function optionsFrom(brokers: string, env: Record<string, string>): KafkaEventLogOptions {
  const reader = new ConfigReader(env);
  const client = readKafkaClientConfig(reader);
  reader.done();
  return {
    brokers: [brokers],
    clientId: uniqueName('security'),
    compression: client.compression,
    logger: { warn: () => undefined, error: () => undefined },
    ...(client.tls ? { tls: client.tls } : {}),
    ...(client.sasl ? { sasl: client.sasl } : {}),
  };
}

/** Connects, creates a topic, publishes a record and consumes it back through a group. */
async function roundTrip(options: KafkaEventLogOptions): Promise<string[]> {
  const log = await KafkaEventLog.connect(options);
  try {
    const topic = uniqueName('secure');
    await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000 }]);
    await log.publish(topic, [{ key: 'k', value: `hello over ${topic}` }]);
    const received: string[] = [];
    const subscription = await log.subscribe({
      groupId: uniqueName('secure-reader'),
      topics: [topic],
      handler: async (batch) => void received.push(...batch.records.map((record) => record.value.toString())),
    });
    try {
      await waitFor(() => received.length >= 1, { description: 'the record consumed back' });
      expect(subscription.status().state).toBe('consuming');
      return received.map((value) => value.replace(topic, '<topic>'));
    } finally {
      await subscription.close();
    }
  } finally {
    await log.close();
  }
}

async function connectError(options: KafkaEventLogOptions): Promise<Error> {
  const outcome = await KafkaEventLog.connect(options).then(
    async (log) => {
      await log.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the connection to be refused');
  return outcome;
}

const sasl = (mechanism: string, extra: Record<string, string>) => ({
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SSL_CA_FILE: broker.caFile,
  KAFKA_SASL_MECHANISM: mechanism,
  ...extra,
});

describe('Kafka security modes against a SASL_SSL / mTLS broker', () => {
  it('SASL_SSL with PLAIN (password from a file) connects, publishes and consumes', async () => {
    const env = sasl('PLAIN', { KAFKA_SASL_USERNAME: broker.plain.username, KAFKA_SASL_PASSWORD_FILE: broker.plain.passwordFile, KAFKA_COMPRESSION: 'lz4' });
    expect(await roundTrip(optionsFrom(broker.saslBroker, env))).toEqual(['hello over <topic>']);
  });

  it('SASL_SSL with SCRAM-SHA-256 connects, publishes and consumes', async () => {
    const env = sasl('SCRAM-SHA-256', {
      KAFKA_SASL_USERNAME: broker.scram256.username,
      KAFKA_SASL_PASSWORD: broker.scram256.password,
      KAFKA_COMPRESSION: 'zstd',
    });
    expect(await roundTrip(optionsFrom(broker.saslBroker, env))).toEqual(['hello over <topic>']);
  });

  it('SASL_SSL with SCRAM-SHA-512 (password from a file) connects, publishes and consumes', async () => {
    const env = sasl('SCRAM-SHA-512', {
      KAFKA_SASL_USERNAME: broker.scram512.username,
      KAFKA_SASL_PASSWORD_FILE: broker.scram512.passwordFile,
      KAFKA_COMPRESSION: 'snappy',
    });
    expect(await roundTrip(optionsFrom(broker.saslBroker, env))).toEqual(['hello over <topic>']);
  });

  it('SASL_SSL with OAUTHBEARER (token from a file) connects, publishes and consumes', async () => {
    const env = sasl('OAUTHBEARER', { KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: broker.oauthTokenFile });
    expect(await roundTrip(optionsFrom(broker.saslBroker, env))).toEqual(['hello over <topic>']);
  });

  it('SSL with a client certificate (mTLS) connects, publishes and consumes', async () => {
    const env = {
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_FILE: broker.caFile,
      KAFKA_SSL_CERT_FILE: broker.clientCertFile,
      KAFKA_SSL_KEY_FILE: broker.clientKeyFile,
    };
    expect(await roundTrip(optionsFrom(broker.mtlsBroker, env))).toEqual(['hello over <topic>']);
  });

  it('refuses a wrong password with an authentication error', async () => {
    for (const [mechanism, username] of [
      ['PLAIN', broker.plain.username],
      ['SCRAM-SHA-512', broker.scram512.username],
    ]) {
      const error = await connectError(
        optionsFrom(broker.saslBroker, sasl(mechanism, { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: 'not-the-password' })),
      );
      expect(error.message).toMatch(/cannot connect to Kafka at 127\.0\.0\.1:\d+: .*SASL .* authentication failed/);
      expect(error.message).not.toContain('not-the-password');
    }
  });

  it('refuses a broker certificate from a CA it was not told to trust', async () => {
    const env = sasl('PLAIN', { KAFKA_SASL_USERNAME: broker.plain.username, KAFKA_SASL_PASSWORD: broker.plain.password });
    const error = await connectError(optionsFrom(broker.saslBroker, { ...env, KAFKA_SSL_CA_FILE: broker.rogueCaFile }));
    expect(error.message).toMatch(/cannot connect to Kafka at 127\.0\.0\.1:\d+: Connection error: self-signed certificate in certificate chain/);
  });

  it('refuses mTLS without a client certificate', async () => {
    const error = await connectError(optionsFrom(broker.mtlsBroker, { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: broker.caFile }));
    expect(error.message).toMatch(/cannot connect to Kafka at 127\.0\.0\.1:\d+: Connection error: .*alert bad certificate/);
  });
});
