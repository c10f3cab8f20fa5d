import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Exporter, ItemOutcome, SinkConfigurationError, SinkItem } from '../exporter.port';

const gzip = promisify(zlib.gzip);

export interface SplunkHecOptions {
  /** Base URL of the HEC endpoint, e.g. https://splunk:8088 (SPLUNK_HEC_URL). */
  readonly url: string;
  readonly token: string;
  readonly index?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly host?: string;
  readonly gzip?: boolean;
  /** Indexer acknowledgement: commit only after HEC says the events are indexed. */
  readonly ack?: { readonly enabled: boolean; readonly pollIntervalMs?: number; readonly timeoutMs?: number };
  readonly requestTimeoutMs?: number;
  readonly fetch?: typeof fetch;
}

interface HecAnswer {
  readonly status: number;
  readonly body: { text?: string; code?: number; ackId?: number; 'invalid-event-number'?: number; acks?: Record<string, boolean> };
  readonly retryAfterMs?: number;
}

/** HEC's own codes that say the sink's configuration is wrong, not the data (docs: "Format events for HTTP Event Collector", troubleshooting table). */
const CONFIGURATION_CODES = new Map<number, string>([
  [1, 'token_disabled'],
  [2, 'token_required'],
  [3, 'invalid_authorization'],
  [4, 'invalid_token'],
  [7, 'incorrect_index'],
  [10, 'data_channel_missing'],
  [11, 'invalid_data_channel'],
  [14, 'ack_disabled'],
  [16, 'query_string_authorization_disabled'],
]);

/** Codes that name one bad event (`invalid-event-number`): that event is dead-lettered, the rest resent. */
const EVENT_CODES = new Set([6, 12, 13, 15]);

/**
 * Splunk HTTP Event Collector: batches of concatenated JSON events to /services/collector/event,
 * `Authorization: Splunk <token>`, gzip, and with indexer acknowledgement a channel plus ack polling,
 * so a batch counts as delivered only once HEC says it is indexed. Responses are classified by HEC's
 * code table: busy/throttled/5xx/network → retriable (Retry-After honoured); an invalid event →
 * that event permanent, the others resent; bad token/index → SinkConfigurationError (the sink
 * pauses, nothing is dropped); 413 → the batch is split.
 */
export class SplunkHecExporter implements Exporter {
  readonly name = 'splunk';
  private readonly channel = randomUUID();
  private readonly fetch: typeof fetch;
  private readonly endpoint: string;
  private pending = 0;

  constructor(private readonly options: SplunkHecOptions) {
    this.fetch = options.fetch ?? fetch;
    this.endpoint = options.url.replace(/\/+$/, '');
  }

  /** Acknowledgements the sink is waiting for (a gauge). */
  pendingAcks(): number {
    return this.pending;
  }

  async export(items: readonly SinkItem[]): Promise<ItemOutcome[]> {
    const outcomes: ItemOutcome[] = new Array(items.length);
    await this.send(
      items.map((item, index) => ({ item, index })),
      outcomes,
    );
    return outcomes;
  }

  private async send(entries: Array<{ item: SinkItem; index: number }>, outcomes: ItemOutcome[]): Promise<void> {
    let remaining = entries;
    // Each round either settles everything or removes one invalid event: it ends.
    while (remaining.length > 0) {
      const answer = await this.post('/services/collector/event', this.eventsBody(remaining.map((entry) => entry.item)));
      if (answer === 'network') return this.settle(remaining, outcomes, { kind: 'retriable', errorClass: 'network', message: 'HEC did not answer' });
      const { status, body } = answer;
      const code = body.code;
      if (status === 200 && (code === 0 || code === undefined)) {
        if (this.options.ack?.enabled && typeof body.ackId === 'number') {
          const indexed = await this.awaitAck(body.ackId);
          if (!indexed)
            return this.settle(remaining, outcomes, {
              kind: 'retriable',
              errorClass: 'ack_timeout',
              message: `HEC did not acknowledge ackId ${body.ackId} in time`,
            });
        }
        return this.settle(remaining, outcomes, { kind: 'delivered' });
      }
      if (status === 413) {
        if (remaining.length === 1)
          return this.settle(remaining, outcomes, { kind: 'permanent', errorClass: 'request_too_large', message: 'a single event is larger than HEC accepts' });
        const half = Math.ceil(remaining.length / 2);
        await this.send(remaining.slice(0, half), outcomes);
        await this.send(remaining.slice(half), outcomes);
        return;
      }
      if (code !== undefined && CONFIGURATION_CODES.has(code)) {
        throw new SinkConfigurationError(
          `HEC refused the sink's configuration: ${body.text ?? ''} (code ${code}, HTTP ${status})`,
          `hec_${CONFIGURATION_CODES.get(code)}`,
        );
      }
      if (status === 401 || status === 403) {
        throw new SinkConfigurationError(`HEC refused the token (HTTP ${status}): ${body.text ?? ''}`, `http_${status}`);
      }
      const invalid = body['invalid-event-number'];
      if (code !== undefined && EVENT_CODES.has(code) && typeof invalid === 'number' && invalid >= 0 && invalid < remaining.length) {
        // That one event is refused for good; the rest of the batch is sent again.
        outcomes[remaining[invalid].index] = {
          kind: 'permanent',
          errorClass: `hec_code_${code}`,
          message: `${body.text ?? 'invalid event'} (event ${invalid} of the request)`,
        };
        remaining = remaining.filter((_, position) => position !== invalid);
        continue;
      }
      if (status === 429 || status === 503 || status >= 500) {
        return this.settle(remaining, outcomes, {
          kind: 'retriable',
          errorClass: status === 429 ? 'http_429' : code === 9 ? 'hec_server_busy' : `http_${status}`,
          message: `${body.text ?? 'HEC is unavailable'} (HTTP ${status}${code !== undefined ? `, code ${code}` : ''})`,
          retryAfterMs: answer.retryAfterMs,
        });
      }
      return this.settle(remaining, outcomes, {
        kind: 'permanent',
        errorClass: `http_${status}`,
        message: `${body.text ?? 'HEC refused the request'} (code ${code ?? 'none'})`,
      });
    }
  }

  private settle(entries: Array<{ index: number }>, outcomes: ItemOutcome[], outcome: ItemOutcome): void {
    for (const entry of entries) outcomes[entry.index] = outcome;
  }

  /** HEC event objects, concatenated (not a JSON array): the enriched flow is embedded as sent. */
  private eventsBody(items: readonly SinkItem[]): string {
    const meta: Record<string, string> = {};
    if (this.options.host) meta.host = this.options.host;
    meta.source = this.options.source ?? 'telemetry-api';
    meta.sourcetype = this.options.sourcetype ?? 'telemetry:flow';
    if (this.options.index) meta.index = this.options.index;
    const metaJson = JSON.stringify(meta).slice(1, -1);
    return items.map((item) => `{"time":${Number.isFinite(item.ts) ? item.ts : Date.now() / 1000},${metaJson},"event":${item.payload}}`).join('\n');
  }

  private async awaitAck(ackId: number): Promise<boolean> {
    const interval = this.options.ack?.pollIntervalMs ?? 250;
    const deadline = Date.now() + (this.options.ack?.timeoutMs ?? 60_000);
    this.pending += 1;
    try {
      while (Date.now() < deadline) {
        const answer = await this.post(`/services/collector/ack?channel=${this.channel}`, JSON.stringify({ acks: [ackId] }), false);
        if (answer !== 'network' && answer.status === 200 && answer.body.acks?.[String(ackId)] === true) return true;
        if (answer !== 'network' && (answer.status === 401 || answer.status === 403)) {
          throw new SinkConfigurationError(`HEC refused the ack query (HTTP ${answer.status})`, `http_${answer.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, interval));
      }
      return false;
    } finally {
      this.pending -= 1;
    }
  }

  private async post(path: string, body: string, compress = this.options.gzip ?? true): Promise<HecAnswer | 'network'> {
    const headers: Record<string, string> = { Authorization: `Splunk ${this.options.token}`, 'Content-Type': 'application/json' };
    if (this.options.ack?.enabled) headers['X-Splunk-Request-Channel'] = this.channel;
    let payload: string | Buffer = body;
    if (compress) {
      // Fastest level, as the _bulk exporter: the request is compressed on the sink's one core, per batch.
      payload = await gzip(body, { level: zlib.constants.Z_BEST_SPEED });
      headers['Content-Encoding'] = 'gzip';
    }
    try {
      const response = await this.fetch(`${this.endpoint}${path}`, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      const text = await response.text();
      let parsed: HecAnswer['body'] = {};
      try {
        parsed = text ? (JSON.parse(text) as HecAnswer['body']) : {};
      } catch {
        parsed = { text };
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      return { status: response.status, body: parsed, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined };
    } catch {
      return 'network';
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      const response = await this.fetch(`${this.endpoint}/services/collector/health`, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      return { ok: response.status === 200, detail: text };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async shutdown(): Promise<void> {}
}
