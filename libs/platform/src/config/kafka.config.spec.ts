import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigReader } from './config-reader';
import { describeKafkaClientConfig, KafkaClientConfig, readKafkaClientConfig } from './kafka.config';

function read(env: Record<string, string>): KafkaClientConfig {
  const reader = new ConfigReader(env);
  const config = readKafkaClientConfig(reader);
  reader.done();
  return config;
}

function problems(env: Record<string, string>): string[] {
  try {
    read(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const dir = mkdtempSync(join(tmpdir(), 'kafka-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('readKafkaClientConfig', () => {
  it('defaults to plaintext, gzip, no prefix, topics created', () => {
    expect(read({})).toEqual({ compression: 'lz4', topicPrefix: '', createTopics: true, undecodableBatchAttempts: 5 });
  });

  it('reads SASL_SSL with SCRAM, the password and CA from files, reject-unauthorized on by default', () => {
    const config = read({
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret\n'),
      KAFKA_SSL_CA_FILE: file('ca.pem', '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n'),
      KAFKA_SSL_SERVERNAME: 'kafka.internal',
      KAFKA_COMPRESSION: 'zstd',
      KAFKA_TOPIC_PREFIX: 'blue.',
      KAFKA_CREATE_TOPICS: 'false',
      KAFKA_UNDECODABLE_BATCH_ATTEMPTS: '0',
    });
    expect(config).toEqual({
      compression: 'zstd',
      topicPrefix: 'blue.',
      createTopics: false,
      undecodableBatchAttempts: 0,
      tls: { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n', servername: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' },
    });
    expect(describeKafkaClientConfig(config)).not.toContain('s3cret');
  });

  it('reads mTLS (certificate and key) over SSL without SASL', () => {
    const config = read({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT: 'CERT',
      KAFKA_SSL_KEY_FILE: file('key.pem', 'KEY'),
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    });
    expect(config.tls).toEqual({ rejectUnauthorized: false, cert: 'CERT', key: 'KEY' });
    expect(config.sasl).toBeUndefined();
  });

  it('reads an OAUTHBEARER token file again at every call (a refreshed token is picked up)', () => {
    const path = file('token', 'first\n');
    const config = read({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: path });
    if (config.sasl?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    expect(config.sasl.token()).toBe('first');
    writeFileSync(path, 'second');
    expect(config.sasl.token()).toBe('second');
  });

  it('names every variable of an invalid combination and never shows a secret', () => {
    const found = problems({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_PASSWORD: 'hunter2',
      KAFKA_SASL_OAUTHBEARER_TOKEN: 'tok-secret',
      KAFKA_SSL_CERT: 'CERT',
      KAFKA_COMPRESSION: 'brotli',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=SCRAM-SHA-256'),
        expect.stringContaining('KAFKA_SASL_OAUTHBEARER_TOKEN(_FILE) is only used with KAFKA_SASL_MECHANISM=OAUTHBEARER'),
        expect.stringContaining('KAFKA_SSL_CERT and KAFKA_SSL_KEY go together'),
        expect.stringContaining('KAFKA_COMPRESSION must be one of none, gzip, snappy, lz4, zstd'),
      ]),
    );
    expect(found.join('\n')).not.toMatch(/hunter2|tok-secret/);
  });

  it('refuses SASL or TLS settings with a protocol that does not use them, and a mechanism missing', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SSL_CA: 'CA' })).toEqual([
      'KAFKA_SSL_CA is set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT: use SSL or SASL_SSL',
      'KAFKA_SASL_MECHANISM is set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT: use SASL_SSL or SASL_PLAINTEXT',
    ]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT' })).toEqual([
      'KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT: one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER',
    ]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI' })).toEqual([
      'KAFKA_SASL_MECHANISM must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, got "GSSAPI"',
    ]);
  });

  it('refuses a value given both inline and as a file, and a file that cannot be read', () => {
    expect(
      problems({
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: file('p2', 'p'),
        KAFKA_SSL_CA_FILE: join(dir, 'absent.pem'),
      }),
    ).toEqual([
      `KAFKA_SSL_CA_FILE (${join(dir, 'absent.pem')}) cannot be read: ENOENT`,
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: give one',
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM=PLAIN',
    ]);
  });

  it('refuses a topic prefix Kafka would not take', () => {
    expect(problems({ KAFKA_TOPIC_PREFIX: 'blue/' })).toEqual(['KAFKA_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" (at most 100), got "blue/"']);
  });
});
