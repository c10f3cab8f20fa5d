import { readFileSync } from 'node:fs';
import { ConfigReader } from './config-reader';

export type KafkaCompressionSetting = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** TLS towards the brokers; PEM texts, read from the variable or from the file its `_FILE` names. */
export interface KafkaTlsConfig {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly keyPassword?: string;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

/**
 * SASL: a user and password (PLAIN, SCRAM), or an OAUTHBEARER token, static or read again from its
 * file at every (re)authentication, so a sidecar may refresh it (MSK IAM tokens, workload identity).
 */
export type KafkaSaslConfig =
  | { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'oauthbearer'; readonly token: () => string };

/** How a process talks to the Kafka cluster, beyond the brokers. */
export interface KafkaClientConfig {
  readonly compression: KafkaCompressionSetting;
  /** Absent: plaintext. */
  readonly tls?: KafkaTlsConfig;
  readonly sasl?: KafkaSaslConfig;
  /** Put before every topic name the product creates, writes or reads (deployments sharing a cluster). */
  readonly topicPrefix: string;
  /** false: never create topics; startup fails naming every missing one. */
  readonly createTopics: boolean;
  /** Restarts on one undecodable batch before it is dead-lettered to the ingest DLQ and skipped; 0 never skips. */
  readonly undecodableBatchAttempts: number;
}

const COMPRESSIONS: readonly KafkaCompressionSetting[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const PROTOCOLS: readonly KafkaSecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

/**
 * A value given either inline (`NAME`) or as a file path (`NAME_FILE`, e.g. a mounted Secret). Errors
 * name the variable and never show the value.
 */
export function secretOrFile(reader: ConfigReader, name: string, options: { trim: boolean }): string | undefined {
  const inline = reader.string(name);
  const file = reader.string(`${name}_FILE`);
  if (inline !== undefined && file !== undefined) {
    reader.problem(`${name} and ${name}_FILE are both set: give one`);
    return undefined;
  }
  if (file === undefined) return inline;
  try {
    const text = readFileSync(file, 'utf8');
    const value = options.trim ? text.trim() : text;
    if (value.length === 0) reader.problem(`${name}_FILE (${file}) is empty`);
    return value;
  } catch (error) {
    reader.problem(`${name}_FILE (${file}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return undefined;
  }
}

/** A token file read at every authentication (a refreshed token is picked up without a restart). */
function tokenFromFile(path: string): () => string {
  return () => readFileSync(path, 'utf8').trim();
}

export function readKafkaClientConfig(reader: ConfigReader): KafkaClientConfig {
  // lz4 by default: on the enricher's ~130 MB of enriched JSON per 100k flows, gzip (level 6) cost
  // 7.1k rec/CPU-s against lz4's 9.9k (npm run bench, enrich-log kafka, same box and hour).
  const compression = reader.string('KAFKA_COMPRESSION', 'lz4').toLowerCase() as KafkaCompressionSetting;
  if (!COMPRESSIONS.includes(compression)) reader.problem(`KAFKA_COMPRESSION must be one of ${COMPRESSIONS.join(', ')}, got "${compression}"`);

  const topicPrefix = reader.string('KAFKA_TOPIC_PREFIX', '');
  // Kafka topic names: [a-zA-Z0-9._-], at most 249 characters with the longest contract name after it.
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(topicPrefix))
    reader.problem(`KAFKA_TOPIC_PREFIX may hold letters, digits, ".", "_" and "-" (at most 100), got "${topicPrefix}"`);
  const createTopics = reader.boolean('KAFKA_CREATE_TOPICS', true);
  const undecodableBatchAttempts = reader.integer('KAFKA_UNDECODABLE_BATCH_ATTEMPTS', 5, { min: 0, max: 1_000 });

  const protocol = reader.string('KAFKA_SECURITY_PROTOCOL', 'PLAINTEXT').toUpperCase() as KafkaSecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) reader.problem(`KAFKA_SECURITY_PROTOCOL must be one of ${PROTOCOLS.join(', ')}, got "${protocol}"`);
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';

  const ca = secretOrFile(reader, 'KAFKA_SSL_CA', { trim: false });
  const cert = secretOrFile(reader, 'KAFKA_SSL_CERT', { trim: false });
  const key = secretOrFile(reader, 'KAFKA_SSL_KEY', { trim: false });
  const keyPassword = secretOrFile(reader, 'KAFKA_SSL_KEY_PASSWORD', { trim: true });
  const servername = reader.string('KAFKA_SSL_SERVERNAME');
  const rejectUnauthorized = reader.boolean('KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  const tlsSettings: Array<[string, unknown]> = [
    ['KAFKA_SSL_CA', ca],
    ['KAFKA_SSL_CERT', cert],
    ['KAFKA_SSL_KEY', key],
    ['KAFKA_SSL_KEY_PASSWORD', keyPassword],
    ['KAFKA_SSL_SERVERNAME', servername],
  ];
  if (!usesTls) {
    for (const [name, value] of tlsSettings) {
      if (value !== undefined) reader.problem(`${name} is set but KAFKA_SECURITY_PROTOCOL is ${protocol}: use SSL or SASL_SSL`);
    }
  }
  if ((cert === undefined) !== (key === undefined)) reader.problem('KAFKA_SSL_CERT and KAFKA_SSL_KEY go together (a client certificate needs its key)');
  if (keyPassword !== undefined && key === undefined) reader.problem('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY');
  const tls: KafkaTlsConfig | undefined = usesTls
    ? {
        rejectUnauthorized,
        ...(ca !== undefined ? { ca } : {}),
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
        ...(keyPassword !== undefined ? { keyPassword } : {}),
        ...(servername !== undefined ? { servername } : {}),
      }
    : undefined;

  const mechanismRaw = reader.string('KAFKA_SASL_MECHANISM')?.toUpperCase();
  const username = secretOrFile(reader, 'KAFKA_SASL_USERNAME', { trim: true });
  const password = secretOrFile(reader, 'KAFKA_SASL_PASSWORD', { trim: true });
  const tokenInline = reader.string('KAFKA_SASL_OAUTHBEARER_TOKEN');
  const tokenFile = reader.string('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE');
  let sasl: KafkaSaslConfig | undefined;
  if (!usesSasl) {
    const given = [
      ['KAFKA_SASL_MECHANISM', mechanismRaw],
      ['KAFKA_SASL_USERNAME', username],
      ['KAFKA_SASL_PASSWORD', password],
      ['KAFKA_SASL_OAUTHBEARER_TOKEN', tokenInline],
      ['KAFKA_SASL_OAUTHBEARER_TOKEN_FILE', tokenFile],
    ].filter(([, value]) => value !== undefined);
    for (const [name] of given) reader.problem(`${name} is set but KAFKA_SECURITY_PROTOCOL is ${protocol}: use SASL_SSL or SASL_PLAINTEXT`);
  } else if (mechanismRaw === undefined) {
    reader.problem(`KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL=${protocol}: one of ${MECHANISMS.join(', ')}`);
  } else if (!(MECHANISMS as readonly string[]).includes(mechanismRaw)) {
    reader.problem(`KAFKA_SASL_MECHANISM must be one of ${MECHANISMS.join(', ')}, got "${mechanismRaw}"`);
  } else if (mechanismRaw === 'OAUTHBEARER') {
    if (username !== undefined || password !== undefined)
      reader.problem('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are not used with KAFKA_SASL_MECHANISM=OAUTHBEARER: give KAFKA_SASL_OAUTHBEARER_TOKEN(_FILE)');
    if (tokenInline !== undefined && tokenFile !== undefined)
      reader.problem('KAFKA_SASL_OAUTHBEARER_TOKEN and KAFKA_SASL_OAUTHBEARER_TOKEN_FILE are both set: give one');
    else if (tokenInline === undefined && tokenFile === undefined)
      reader.problem('KAFKA_SASL_MECHANISM=OAUTHBEARER needs KAFKA_SASL_OAUTHBEARER_TOKEN or KAFKA_SASL_OAUTHBEARER_TOKEN_FILE');
    else if (tokenFile !== undefined) {
      try {
        if (tokenFromFile(tokenFile)().length === 0) reader.problem(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (${tokenFile}) is empty`);
      } catch (error) {
        reader.problem(`KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (${tokenFile}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      sasl = { mechanism: 'oauthbearer', token: tokenFromFile(tokenFile) };
    } else {
      const token = tokenInline as string;
      sasl = { mechanism: 'oauthbearer', token: () => token };
    }
  } else {
    if (tokenInline !== undefined || tokenFile !== undefined)
      reader.problem(`KAFKA_SASL_OAUTHBEARER_TOKEN(_FILE) is only used with KAFKA_SASL_MECHANISM=OAUTHBEARER, not ${mechanismRaw}`);
    if (username === undefined) reader.problem(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${mechanismRaw}`);
    if (password === undefined) reader.problem(`KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM=${mechanismRaw}`);
    sasl = { mechanism: mechanismRaw.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512', username: username ?? '', password: password ?? '' };
  }

  return { compression, topicPrefix, createTopics, undecodableBatchAttempts, ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) };
}

/** What may be logged of the client settings: mechanisms and switches, never a secret. */
export function describeKafkaClientConfig(config: KafkaClientConfig): string {
  const security = `${config.sasl ? `SASL_${config.tls ? 'SSL' : 'PLAINTEXT'} (${config.sasl.mechanism})` : config.tls ? 'SSL' : 'PLAINTEXT'}`;
  const mtls = config.tls?.cert ? ', client certificate' : '';
  return `security ${security}${mtls}, compression ${config.compression}, topic prefix "${config.topicPrefix}", create topics ${config.createTopics}`;
}
