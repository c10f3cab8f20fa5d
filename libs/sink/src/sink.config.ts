import { ConfigReader } from '@telemetry/platform';

export interface SplunkSinkConfig {
  readonly url: string;
  readonly token: string;
  readonly index?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly ackEnabled: boolean;
  readonly ackTimeoutMs: number;
  readonly gzip: boolean;
}

export interface ElasticSinkConfig {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly apiKey?: string;
  readonly indexPattern: string;
  readonly dataStream?: string;
  readonly gzip: boolean;
  readonly manageTemplate: boolean;
}

export interface SinksConfig {
  readonly retryDelaysMs: number[];
  readonly batchMaxRecords: number;
  readonly batchMaxBytes: number;
  readonly batchMaxWaitMs: number;
  /** Set when SPLUNK_HEC_URL is: the all-in-one then runs the Splunk sink too. */
  readonly splunk?: SplunkSinkConfig;
  /** Set when ELASTIC_URL is. */
  readonly elastic?: ElasticSinkConfig;
}

/** The original product's variables (SPLUNK_HEC_URL, SPLUNK_HEC_TOKEN, ELASTIC_URL, …), checked together. */
export function readSinksConfig(reader: ConfigReader, required: 'splunk' | 'elastic' | undefined): SinksConfig {
  const delays = reader.list('SINK_RETRY_DELAYS_MS').map(Number);
  if (delays.some((delay) => !Number.isInteger(delay) || delay < 0))
    reader.problem('SINK_RETRY_DELAYS_MS must be comma-separated whole milliseconds, e.g. 10000,60000,600000');
  const splunkUrl = reader.url('SPLUNK_HEC_URL', ['http', 'https']);
  const splunkToken = reader.string('SPLUNK_HEC_TOKEN');
  if (splunkUrl && !splunkToken) reader.problem('SPLUNK_HEC_TOKEN is required when SPLUNK_HEC_URL is set');
  if (required === 'splunk' && !splunkUrl) reader.problem('SPLUNK_HEC_URL is required by the sink-splunk app');
  const elasticUrl = reader.string('ELASTIC_URL');
  for (const url of elasticUrl ? elasticUrl.split(',') : []) {
    if (!/^https?:\/\/[^\s]+$/.test(url.trim())) reader.problem(`ELASTIC_URL must be http(s) URLs separated by commas, got "${url}"`);
  }
  const username = reader.string('ELASTIC_USERNAME');
  const password = reader.string('ELASTIC_PASSWORD');
  if ((username && !password) || (!username && password)) reader.problem('ELASTIC_USERNAME and ELASTIC_PASSWORD go together');
  if (required === 'elastic' && !elasticUrl) reader.problem('ELASTIC_URL is required by the sink-elastic app');
  return {
    retryDelaysMs: delays.length > 0 ? delays : [10_000, 60_000, 600_000],
    batchMaxRecords: reader.integer('SINK_BATCH_MAX_RECORDS', 500, { min: 1, max: 50_000 }),
    batchMaxBytes: reader.integer('SINK_BATCH_MAX_BYTES', 5 * 1024 * 1024, { min: 1024, max: 100 * 1024 * 1024 }),
    batchMaxWaitMs: reader.integer('SINK_BATCH_MAX_WAIT_MS', 500, { min: 0, max: 60_000 }),
    splunk:
      splunkUrl && splunkToken
        ? {
            url: splunkUrl,
            token: splunkToken,
            index: reader.string('SPLUNK_HEC_INDEX'),
            source: reader.string('SPLUNK_HEC_SOURCE'),
            sourcetype: reader.string('SPLUNK_HEC_SOURCETYPE', 'telemetry:flow'),
            ackEnabled: reader.boolean('SPLUNK_HEC_ACK', false),
            ackTimeoutMs: reader.integer('SPLUNK_HEC_ACK_TIMEOUT_MS', 30_000, { min: 100, max: 600_000 }),
            gzip: reader.boolean('SPLUNK_HEC_GZIP', true),
          }
        : undefined,
    elastic: elasticUrl
      ? {
          url: elasticUrl,
          username,
          password,
          apiKey: reader.string('ELASTIC_API_KEY'),
          indexPattern: reader.string('ELASTIC_INDEX_PATTERN', 'telemetry-enriched-{yyyy.MM.dd}'),
          dataStream: reader.string('ELASTIC_DATA_STREAM'),
          gzip: reader.boolean('ELASTIC_GZIP', true),
          manageTemplate: reader.boolean('ELASTIC_MANAGE_TEMPLATE', true),
        }
      : undefined,
  };
}

/** The sinks' config, for the modules that need it (the sinks, and the query role's export and replay). */
export const SINKS_CONFIG = Symbol('SINKS_CONFIG');
