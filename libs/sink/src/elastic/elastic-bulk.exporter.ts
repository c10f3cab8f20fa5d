import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Exporter, ItemOutcome, SinkConfigurationError, SinkItem } from '../exporter.port';

const gzip = promisify(zlib.gzip);

export const DEFAULT_ELASTIC_INDEX_PATTERN = 'telemetry-enriched-{yyyy.MM.dd}';

export interface ElasticBulkOptions {
  /** One node or several, comma-separated (ELASTIC_URL): requests go round robin, failing over on connection errors. */
  readonly url: string;
  /**
   * Index name with placeholders: `{tenant}` and a date format of `yyyy`, `MM`, `dd`, `HH` (the
   * flow's `ts`, UTC), e.g. `telemetry-enriched-{yyyy.MM.dd}` (the default) or `flows-{tenant}-{yyyy.MM}`.
   */
  readonly indexPattern?: string;
  /**
   * Write to this data stream instead (same placeholders, usually none or `{tenant}`): `create`
   * actions, the event id still the `_id`, and `@timestamp` added from `ts` when missing.
   */
  readonly dataStream?: string;
  readonly username?: string;
  readonly password?: string;
  /** An Elasticsearch API key: the encoded form, or `id:api_key`. */
  readonly apiKey?: string;
  /** Gzip the request body (default true). */
  readonly gzip?: boolean;
  /** Per HTTP request (default 30 s). */
  readonly requestTimeoutMs?: number;
  /**
   * Install an index template for the target (the apps turn it on; off by default here): explicit types for the enriched
   * flow, and `original` (whatever the producer sent, types varying between producers) stored but
   * not indexed, so dynamic mapping can never refuse a flow for a field it guessed differently.
   */
  readonly manageTemplate?: boolean;
  /**
   * How far before and after its enrichment a flow's own `ts` may date its index (default 7 days
   * before, 1 day after). Beyond, the enrichment time does: a request whose flows claim times
   * spread over years can then touch a handful of daily indices, not thousands.
   */
  readonly indexDateWindow?: { readonly pastMs: number; readonly futureMs: number };
  readonly fetch?: typeof fetch;
}

const DAY_MS = 86_400_000;
export const DEFAULT_INDEX_DATE_WINDOW = { pastMs: 7 * DAY_MS, futureMs: DAY_MS } as const;

/** One item, encoded once: its action and document lines (reused as-is when a request is split). */
interface Encoded {
  readonly index: number;
  readonly op: 'index' | 'create';
  readonly lines: Buffer;
}

/** The enriched flow's mapping: the fields users search on get their real types. */
const ENRICHED_FLOW_MAPPINGS = {
  dynamic: true,
  properties: {
    '@timestamp': { type: 'date' },
    event_id: { type: 'keyword' },
    tenant_id: { type: 'keyword' },
    collector_id: { type: 'keyword' },
    format: { type: 'keyword' },
    ts: { type: 'double' },
    timestamp: { type: 'date' },
    src_ip: { type: 'ip' },
    dst_ip: { type: 'ip' },
    src_port: { type: 'integer' },
    dst_port: { type: 'integer' },
    proto: { type: 'keyword' },
    bytes: { type: 'long' },
    packets: { type: 'long' },
    duration: { type: 'double' },
    risk_score: { type: 'integer' },
    risk_policy: { type: 'keyword' },
    risk_reasons: { properties: { code: { type: 'keyword' }, points: { type: 'integer' }, detail: { type: 'text' } } },
    ti: {
      properties: {
        matches: {
          properties: {
            indicator: { type: 'keyword' },
            category: { type: 'keyword' },
            confidence: { type: 'integer' },
            source: { type: 'keyword' },
            field: { type: 'keyword' },
            ip: { type: 'ip' },
          },
        },
      },
    },
    geo: {
      properties: Object.fromEntries(
        ['src', 'dst'].map((side) => [
          side,
          {
            properties: {
              country: { type: 'keyword' },
              city: { type: 'keyword' },
              latitude: { type: 'double' },
              longitude: { type: 'double' },
              timezone: { type: 'keyword' },
            },
          },
        ]),
      ),
    },
    asn: {
      properties: Object.fromEntries(['src', 'dst'].map((side) => [side, { properties: { number: { type: 'long' }, organization: { type: 'keyword' } } }])),
    },
    zeek: { type: 'object', dynamic: true },
    original: { type: 'object', enabled: false },
    ingest: { properties: { topic: { type: 'keyword' }, partition: { type: 'integer' }, offset: { type: 'keyword' }, received_at: { type: 'date' } } },
    enriched_at: { type: 'date' },
  },
};

type Answer =
  | { readonly kind: 'answer'; readonly status: number; readonly body: unknown; readonly retryAfterMs?: number }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

interface BulkError {
  type?: string;
  reason?: string;
  caused_by?: { type?: string; reason?: string };
}

interface BulkItemResult {
  status?: number;
  error?: BulkError;
}

/**
 * Elasticsearch / OpenSearch `_bulk`: one NDJSON request per batch (gzip by default), `index` with
 * the event id as `_id` (a redelivery overwrites the same document) or, for a data stream,
 * `create` with that `_id` (a 409 on redelivery means the document is already there). Each
 * `items[i]` of the answer is item i's outcome: 2xx delivered; 429 / rejected execution / 5xx
 * retriable; mapping, parse and other 4xx errors permanent with the error's type and reason;
 * 401/403 (and a missing index) throw SinkConfigurationError. A whole request that fails is
 * retriable for every item (network, timeout, 429, 5xx; Retry-After honoured), split in halves
 * on 413, or permanent for every item on another 4xx. Retries themselves are the runner's (its
 * delayed retry topics are the backoff): export never sleeps.
 */
export class ElasticBulkExporter implements Exporter {
  readonly name = 'elastic';
  private readonly nodes: string[];
  private readonly authorization?: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly target: (tenantId: string, date: Date) => string;
  private readonly op: 'index' | 'create';
  private next = 0;

  constructor(private readonly options: ElasticBulkOptions) {
    this.fetch = options.fetch ?? fetch;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    let fromUrl: { username: string; password: string } | undefined;
    this.nodes = options.url
      .split(',')
      .map((node) => node.trim())
      .filter((node) => node.length > 0)
      .map((node) => {
        const url = new URL(node);
        // fetch refuses URLs with credentials: they become the basic auth header instead.
        if (url.username) fromUrl = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
        return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
      });
    if (this.nodes.length === 0) throw new SinkConfigurationError('no Elasticsearch URL configured', 'es_configuration');
    this.authorization = authorizationHeader(options, fromUrl);
    this.op = options.dataStream ? 'create' : 'index';
    this.target = compileIndexPattern(options.dataStream ?? options.indexPattern ?? DEFAULT_ELASTIC_INDEX_PATTERN);
  }

  private templateInstalled = false;

  async export(items: readonly SinkItem[]): Promise<ItemOutcome[]> {
    if (!this.templateInstalled && this.options.manageTemplate === true) await this.installTemplate();
    const outcomes: ItemOutcome[] = new Array(items.length);
    const encoded: Encoded[] = [];
    items.forEach((item, index) => {
      const result = this.encode(item, index);
      if ('kind' in result) outcomes[index] = result;
      else encoded.push(result);
    });
    if (encoded.length > 0) await this.send(encoded, outcomes);
    return outcomes;
  }

  /** PUT _index_template for the index pattern (or data stream); retried on the next export if it fails. */
  private async installTemplate(): Promise<void> {
    const target = this.options.dataStream ?? this.options.indexPattern ?? DEFAULT_ELASTIC_INDEX_PATTERN;
    const pattern = target.replace(/\{[^}]*\}/g, '*');
    const name = `telemetry-${pattern.replace(/[^a-z0-9_-]+/gi, '-').replace(/-+$/, '')}`.toLowerCase();
    const body = {
      index_patterns: [pattern],
      priority: 200,
      ...(this.options.dataStream ? { data_stream: {} } : {}),
      template: { mappings: ENRICHED_FLOW_MAPPINGS },
    };
    const answer = await this.request('POST', `/_index_template/${name}`, Buffer.from(JSON.stringify(body)), { 'Content-Type': 'application/json' });
    if (answer.kind !== 'answer') return; // unreachable: the export itself will say so and be retried
    if (answer.status === 401 || answer.status === 403) {
      throw new SinkConfigurationError(
        `cannot install the index template ${name} (HTTP ${answer.status}); grant manage_index_templates or set ELASTIC_MANAGE_TEMPLATE=false`,
        `es_${answer.status}`,
      );
    }
    if (answer.status >= 200 && answer.status < 300) this.templateInstalled = true;
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const answer = await this.request('GET', '/_cluster/health', undefined, {});
    if (answer.kind !== 'answer') return { ok: false, detail: answer.message };
    const body = answer.body as { status?: string; cluster_name?: string; number_of_nodes?: number };
    if (answer.status !== 200) return { ok: false, detail: `HTTP ${answer.status}: ${describeBody(answer.body)}` };
    // Yellow is a healthy single-node cluster (replicas unassigned): writes succeed.
    const ok = body.status === 'green' || body.status === 'yellow';
    return { ok, detail: `cluster ${body.cluster_name ?? '?'} ${body.status ?? 'unknown'}, ${body.number_of_nodes ?? '?'} node(s)` };
  }

  /** Nothing to release: requests go through the process-wide fetch connection pool. */
  async shutdown(): Promise<void> {}

  /**
   * The flow's own time, unless it is far from when the enricher wrote the flow (`enriched_at`, the
   * product's clock; the record's Kafka timestamp for a payload without it). The enricher already
   * bounds `ts` by the receive time (MAX_CLOCK_SKEW_S), but a receive time is the producer's word
   * and the enriched topic can be written by anyone, so the bound is kept here too. The reference
   * comes from the payload, so a retry or a replay of the same flow picks the same index.
   */
  private indexDate(item: SinkItem, flowDate: Date): Date {
    const reference = enrichedAtMs(item.payload) ?? item.source.timestamp;
    if (!Number.isFinite(reference)) return flowDate;
    const { pastMs, futureMs } = this.options.indexDateWindow ?? DEFAULT_INDEX_DATE_WINDOW;
    const t = flowDate.getTime();
    return t < reference - pastMs || t > reference + futureMs ? new Date(reference) : flowDate;
  }

  private encode(item: SinkItem, index: number): Encoded | ItemOutcome {
    const date = new Date(item.ts * 1000);
    if (!Number.isFinite(date.getTime())) {
      return { kind: 'permanent', errorClass: 'invalid_timestamp', message: `ts ${item.ts} is not a date` };
    }
    let document = item.payload;
    // NDJSON: a document must be one line. Raw line breaks in JSON can only be whitespace between
    // tokens, so re-serialising keeps the document and removes them.
    if (/[\r\n]/.test(document)) {
      try {
        document = JSON.stringify(JSON.parse(document));
      } catch (error) {
        return { kind: 'permanent', errorClass: 'invalid_document', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    if (document.trim() === '') return { kind: 'permanent', errorClass: 'invalid_document', message: 'empty document' };
    if (this.op === 'create') document = withTimestamp(document, date);
    const action = JSON.stringify({ [this.op]: { _index: this.target(item.tenantId, this.indexDate(item, date)), _id: item.eventId } });
    return { index, op: this.op, lines: Buffer.from(`${action}\n${document}\n`) };
  }

  private async send(batch: readonly Encoded[], outcomes: ItemOutcome[]): Promise<void> {
    const settle = (outcome: ItemOutcome) => batch.forEach((entry) => (outcomes[entry.index] = outcome));
    // The node's own timeout for waiting on shards and mapping updates, half of ours: a stuck
    // shard then comes back as a per-item 503 before the whole request times out here.
    const path = `/_bulk?timeout=${Math.max(1, Math.floor(this.timeoutMs / 2))}ms&filter_path=errors,items.*.status,items.*.error`;
    const answer = await this.request('POST', path, Buffer.concat(batch.map((entry) => entry.lines)), { 'Content-Type': 'application/x-ndjson' });
    if (answer.kind === 'timeout') return settle({ kind: 'retriable', errorClass: 'es_timeout', message: answer.message });
    if (answer.kind === 'unreachable') return settle({ kind: 'retriable', errorClass: 'es_unreachable', message: answer.message });
    const { status, body, retryAfterMs } = answer;
    if (status >= 200 && status < 300) {
      const results = (body as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(results) || results.length !== batch.length) {
        return settle({
          kind: 'retriable',
          errorClass: 'es_invalid_response',
          message: `_bulk answered HTTP ${status} without one result per action (${batch.length} sent)`,
        });
      }
      batch.forEach((entry, position) => {
        outcomes[entry.index] = classifyItem(entry.op, results[position] as Record<string, BulkItemResult>, retryAfterMs);
      });
      return;
    }
    if (status === 413) {
      if (batch.length === 1) {
        return settle({
          kind: 'permanent',
          errorClass: 'request_too_large',
          message: `the document alone (${batch[0].lines.length} bytes) is larger than the node accepts (HTTP 413)`,
        });
      }
      const half = Math.ceil(batch.length / 2);
      await this.send(batch.slice(0, half), outcomes);
      await this.send(batch.slice(half), outcomes);
      return;
    }
    if (status === 401 || status === 403 || status === 404) {
      // Credentials, privileges or the URL: nothing can be delivered until an operator acts.
      throw new SinkConfigurationError(`_bulk refused (HTTP ${status}): ${describeBody(body)}`, `es_${status}`);
    }
    const type = errorOf(body)?.type;
    if (status === 429 || isRejection(type)) {
      return settle({
        kind: 'retriable',
        errorClass: isRejection(type) ? 'es_rejected_execution_exception' : 'es_429',
        message: `HTTP ${status}: ${describeBody(body)}`,
        retryAfterMs,
      });
    }
    if (status >= 500 || status === 408) {
      return settle({
        kind: 'retriable',
        errorClass: status === 408 ? 'es_timeout' : 'es_5xx',
        message: `HTTP ${status}: ${describeBody(body)}`,
        retryAfterMs,
      });
    }
    if (status >= 400) {
      // The node refused the request as such (e.g. a malformed body): sending it again changes nothing.
      return settle({ kind: 'permanent', errorClass: type ?? `es_${status}`, message: `HTTP ${status}: ${describeBody(body)}` });
    }
    settle({ kind: 'retriable', errorClass: 'es_invalid_response', message: `unexpected HTTP ${status} from _bulk` });
  }

  /**
   * One request, round robin over the nodes. A connection that fails is tried on the next node
   * (a write that got through is harmless to repeat: the `_id` makes it idempotent); a timeout is
   * not, since the node may still be working on it and the runner retries later anyway.
   */
  private async request(method: 'GET' | 'POST', path: string, body: Buffer | undefined, headers: Record<string, string>): Promise<Answer> {
    const all: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.authorization) all.Authorization = this.authorization;
    let payload = body;
    if (body && (this.options.gzip ?? true)) {
      // Level 1: NDJSON of flows still shrinks several times, at a fraction of the default's CPU.
      payload = await gzip(body, { level: zlib.constants.Z_BEST_SPEED });
      all['Content-Encoding'] = 'gzip';
    }
    const failures: string[] = [];
    for (let attempt = 0; attempt < this.nodes.length; attempt += 1) {
      const node = this.nodes[this.next++ % this.nodes.length];
      if (this.next >= Number.MAX_SAFE_INTEGER) this.next = 0;
      try {
        const response = await this.fetch(`${node}${path}`, { method, headers: all, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
        const text = await response.text();
        return { kind: 'answer', status: response.status, body: parseJson(text), retryAfterMs: retryAfter(response.headers.get('retry-after')) };
      } catch (error) {
        if (isTimeout(error)) return { kind: 'timeout', message: `${node} did not answer within ${this.timeoutMs} ms` };
        failures.push(`${node}: ${networkReason(error)}`);
      }
    }
    return { kind: 'unreachable', message: `no node answered (${failures.join('; ')})` };
  }
}

/** Item i of a `_bulk` answer → item i's outcome, or a SinkConfigurationError when the sink's setup is wrong. */
function classifyItem(op: 'index' | 'create', result: Record<string, BulkItemResult> | undefined, retryAfterMs: number | undefined): ItemOutcome {
  const entry = result ? Object.values(result)[0] : undefined;
  const status = entry?.status;
  if (typeof status !== 'number') return { kind: 'retriable', errorClass: 'es_invalid_response', message: 'the _bulk answer has no status for this item' };
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  // `create` with the event id: a conflict means this very event was written before.
  if (op === 'create' && status === 409) return { kind: 'delivered' };
  const error = entry?.error;
  const message = describeError(error, status);
  if (status === 429 || isRejection(error?.type)) {
    return { kind: 'retriable', errorClass: isRejection(error?.type) ? 'es_rejected_execution_exception' : 'es_429', message, retryAfterMs };
  }
  if (status >= 500) return { kind: 'retriable', errorClass: 'es_5xx', message, retryAfterMs };
  if (status === 401 || status === 403 || status === 404 || error?.type === 'security_exception' || error?.type === 'index_not_found_exception') {
    // No privilege on the index, a write block, or auto-create off and the index missing: the
    // operator must act; dead-lettering every item meanwhile would be the wrong answer.
    throw new SinkConfigurationError(`_bulk refused an item (HTTP ${status}): ${message}`, `es_${status}`);
  }
  return { kind: 'permanent', errorClass: error?.type ?? `es_${status}`, message };
}

/** Elasticsearch says es_rejected_execution_exception, OpenSearch rejected_execution_exception: one class. */
function isRejection(type: string | undefined): boolean {
  return type === 'es_rejected_execution_exception' || type === 'rejected_execution_exception';
}

function describeError(error: BulkError | undefined, status: number): string {
  if (!error) return `HTTP ${status}`;
  const cause = error.caused_by ? ` (caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason ?? ''})` : '';
  return `${error.reason ?? error.type ?? `HTTP ${status}`}${cause}`;
}

function errorOf(body: unknown): BulkError | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === 'object' && error !== null ? (error as BulkError) : undefined;
}

function describeBody(body: unknown): string {
  const error = errorOf(body);
  if (error) return `${error.type ?? 'error'}: ${describeError(error, 0)}`;
  if (typeof body === 'string') return body.slice(0, 500) || '(empty body)';
  return JSON.stringify(body)?.slice(0, 500) ?? '(empty body)';
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : '';
  } catch {
    return text;
  }
}

/** Retry-After: seconds or an HTTP date. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isFinite(at) && at > Date.now() ? at - Date.now() : undefined;
}

/** By name: the abort reason is a DOMException, which is not always an `instanceof Error` here (other realms). */
function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function authorizationHeader(options: ElasticBulkOptions, fromUrl: { username: string; password: string } | undefined): string | undefined {
  if (options.apiKey) {
    // The encoded key is base64 of `id:api_key`; accept the raw pair too, as Kibana shows both.
    const key = options.apiKey.includes(':') ? Buffer.from(options.apiKey).toString('base64') : options.apiKey;
    return `ApiKey ${key}`;
  }
  const username = options.username ?? fromUrl?.username;
  const password = options.password ?? fromUrl?.password;
  if (username !== undefined && username !== '') return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  return undefined;
}

const ENRICHED_AT = '"enriched_at":"';

/** `enriched_at` of an enriched flow's JSON text, without parsing it all (the enricher writes it last). */
function enrichedAtMs(payload: string): number | undefined {
  const at = payload.lastIndexOf(ENRICHED_AT);
  if (at < 0) return undefined;
  const start = at + ENRICHED_AT.length;
  const end = payload.indexOf('"', start);
  if (end < 0 || end - start > 40) return undefined;
  const ms = Date.parse(payload.slice(start, end));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Adds `@timestamp` (which data streams require) from `ts`, unless the document has one. */
function withTimestamp(document: string, date: Date): string {
  const trimmed = document.trimStart();
  if (!trimmed.startsWith('{') || trimmed.includes('"@timestamp":')) return document;
  const rest = trimmed.slice(1).trimStart();
  const field = `"@timestamp":"${date.toISOString()}"`;
  return rest.startsWith('}') ? `{${field}${rest}` : `{${field},${rest}`;
}

const DATE_FORMAT = /^(?:yyyy|MM|dd|HH|[._-])+$/;
const INDEX_NAME_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

/**
 * Compiles an index (or data stream) name pattern into a function of tenant and date (UTC). The
 * tenant is lower-cased and anything an index name cannot hold becomes `_`, so a tenant id never
 * makes every item of a batch fail; a bad pattern fails at start instead.
 */
export function compileIndexPattern(pattern: string): (tenantId: string, date: Date) => string {
  const parts: Array<string | ((tenantId: string, date: Date) => string)> = [];
  let last = 0;
  for (const match of pattern.matchAll(/\{([^{}]*)\}/g)) {
    parts.push(pattern.slice(last, match.index));
    const token = match[1];
    if (token === 'tenant') {
      parts.push((tenantId) => tenantId.toLowerCase().replace(/[^a-z0-9._-]/g, '_'));
    } else if (DATE_FORMAT.test(token)) {
      parts.push((_, date) => formatDate(token, date));
    } else {
      throw new SinkConfigurationError(
        `index pattern "${pattern}": unknown placeholder {${token}} (use {tenant} or a date format of yyyy, MM, dd, HH)`,
        'es_index_pattern',
      );
    }
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(pattern.slice(last));
  const render = (tenantId: string, date: Date) => parts.map((part) => (typeof part === 'string' ? part : part(tenantId, date))).join('');
  const sample = render('tenant', new Date(0));
  if (sample.length === 0 || INDEX_NAME_FORBIDDEN.test(sample) || /^[-_+]/.test(sample) || /[{}]/.test(sample)) {
    throw new SinkConfigurationError(
      `index pattern "${pattern}" does not make a valid index name (lower case, no \\ / * ? " < > | , # : or spaces, not starting with - _ +)`,
      'es_index_pattern',
    );
  }
  return render;
}

function formatDate(format: string, date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return format.replace(/yyyy|MM|dd|HH/g, (token) => {
    switch (token) {
      case 'yyyy':
        return String(date.getUTCFullYear());
      case 'MM':
        return pad(date.getUTCMonth() + 1);
      case 'dd':
        return pad(date.getUTCDate());
      default:
        return pad(date.getUTCHours());
    }
  });
}
