/**
 * A fake Splunk HTTP Event Collector (HEC) on 127.0.0.1 for tests: no Splunk can run here, so this
 * enforces the documented HEC protocol closely enough to test a sink against it.
 *
 * Sources (checked when this was written; what each one backs is in brackets):
 * - Splunk, "Troubleshoot HTTP Event Collector" (Getting Data In, 10.4), the status code table
 *   https://help.splunk.com/en/splunk-enterprise/get-started/get-data-in/10.4/get-data-with-http-event-collector/troubleshoot-http-event-collector
 *   [codes 0-27 with their HTTP status and text. Codes 0-16 agree with three independent copies:
 *   the SplunkAdmins app's splunkadmins_hec_reply_code_lookup.csv, the comment table in Splunk's
 *   Java HEC client (HttpCallbacksEventPost) and a Python HEC client's dispatch table.]
 * - Splunk, "Format events for HTTP Event Collector"
 *   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector
 *   [`Authorization: Splunk <token>`; batches are event objects "stacked one after the other" (no
 *   array, no commas, whitespace/newlines allowed); `time` is epoch `<sec>.<ms>`; `event` may be a
 *   string, number or object; `fields` is flat; `X-Splunk-Request-Channel: <GUID>`.]
 * - Splunk, "HTTP Event Collector REST API endpoints"
 *   https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/http-event-collector-rest-api-endpoints
 *   [services/collector, services/collector/event(/1.0), services/collector/ack, services/collector/health.]
 * - Splunk, "About HTTP Event Collector Indexer Acknowledgment"
 *   https://docs.splunk.com/Documentation/Splunk/8.2.5/Data/AboutHECIDXAck
 *   [ack is per token; with it on, each request needs a channel and the 200 carries `ackId`; the
 *   client polls POST services/collector/ack?channel=<GUID> with {"acks":[ids]}.]
 * - Vector RFC 9465 (Splunk HEC indexer acknowledgement, observed against Splunk 7.3.2)
 *   https://github.com/vectordotdev/vector/blob/master/rfcs/2021-10-29-9465-splunk-hec-indexer-acknowledgements.md
 *   [`{"text":"Success","code":0,"ackId":10}`; ack answer `{"acks":{"0":true,"1":false}}`; ack ids
 *   are assigned per channel; once an id has been reported true Splunk drops it and later queries
 *   of it answer false (read-once); pending and dropped data both answer false.]
 * - moby/moby#35862 (observed Splunk behaviour) and open-telemetry/opentelemetry-collector-contrib#36113
 *   (Splunk maintainer): a batch with a bad event answers 400 code 6 with `invalid-event-number`
 *   (0-based: a bad second event gives 1); the events BEFORE it are indexed, nothing from it on.
 *   splunk-connect-for-ethereum#26 shows code 7 carrying `invalid-event-number` the same way.
 *   The official pages say nothing about partial acceptance; this fake follows the observed
 *   behaviour by default (`partialAcceptance: true`).
 * - mockdr 2.0.3 release notes (measured against Splunk 10.4.2): a valid `?token=` answers 400
 *   code 16 unless query-string auth is enabled, an invalid one 403 code 4; the token is checked
 *   before the channel.
 *
 * Choices where no source pins the behaviour down (kept strict, so a sink that passes here does
 * not lean on leniency): a channel that is present but not a GUID is code 11 even with ack off;
 * a top-level value that is not an object (including a JSON array) is code 6; `time` must be a
 * number or numeric string, and host/source/sourcetype/index strings, else code 6; an ack query
 * on an unknown channel answers false for every id; over `maxContentLength` answers 413 with an
 * HTML body (Splunk answers 413 outside its JSON protocol); unknown paths and wrong methods
 * answer 404 `{"text":"The requested URL was not found on this server.","code":404}`.
 *
 * `setDown(true)` refuses connections by default (stops listening and cuts open keep-alive
 * sockets, like a dead indexer); `setDown(true, 'unavailable')` keeps listening and answers 503
 * (code 9 on event/ack, code 18 on health) instead.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);

/** The token a fake HEC accepts when `tokens` is not given. */
export const FAKE_HEC_TOKEN = '11111111-2222-3333-4444-555555555555';

/** HEC status codes: [HTTP status, text] (Troubleshoot HTTP Event Collector, 10.4). */
export const HEC_CODES: Readonly<Record<number, readonly [number, string]>> = {
  0: [200, 'Success'],
  1: [403, 'Token disabled'],
  2: [401, 'Token is required'],
  3: [401, 'Invalid authorization'],
  4: [403, 'Invalid token'],
  5: [400, 'No data'],
  6: [400, 'Invalid data format'],
  7: [400, 'Incorrect index'],
  8: [500, 'Internal server error'],
  9: [503, 'Server is busy'],
  10: [400, 'Data channel is missing'],
  11: [400, 'Invalid data channel'],
  12: [400, 'Event field is required'],
  13: [400, 'Event field cannot be blank'],
  14: [400, 'ACK is disabled'],
  15: [400, 'Error in handling indexed fields'],
  16: [400, 'Query string authorization is not enabled'],
  17: [200, 'HEC is healthy'],
  18: [503, 'HEC is unhealthy, queues are full'],
  19: [503, 'HEC is unhealthy, ack service unavailable'],
  20: [503, 'HEC is unhealthy, queues are full, ack service unavailable'],
  21: [400, 'Invalid token'],
  22: [400, 'Token disabled'],
  23: [503, 'Server is shutting down'],
  24: [200, 'HEC queue is approaching its capacity limit'],
  25: [200, 'HEC ACK is approaching its capacity limit'],
  26: [429, 'HEC queue is at capacity and cannot process any more requests'],
  27: [429, 'HEC ACK channel is at capacity and cannot process any more requests'],
};

/** Default HEC code for a scripted HTTP status that names none. */
const DEFAULT_CODE_FOR_STATUS: Readonly<Record<number, number>> = {
  200: 0,
  400: 6,
  401: 2,
  403: 4,
  429: 26,
  500: 8,
  503: 9,
};

const NOT_FOUND = { text: 'The requested URL was not found on this server.', code: 404 };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FakeHecOptions {
  /** Tokens HEC knows (all enabled at start). Default: [FAKE_HEC_TOKEN]. */
  tokens?: string[];
  /** Indexer acknowledgement on (for every token): channel required, `ackId` in answers. */
  ackEnabled?: boolean;
  /** Indexes the tokens may write to; an event naming another gets code 7. Default: any. */
  indexes?: string[];
  /** Index of events that name none. Default: indexes[0], else 'main'. */
  defaultIndex?: string;
  /** Largest request body (bytes as sent, before gunzip); larger answers 413. Default: no limit. */
  maxContentLength?: number;
  /** Acks turn true this many ms after their request is accepted. Default 0 (at once). */
  ackDelayMs?: number;
  /**
   * On a bad event, keep the events before it (observed Splunk behaviour, see the header). With
   * false the whole request is discarded. Default true.
   */
  partialAcceptance?: boolean;
  /** Accept `?token=` (inputs.conf allowQueryStringAuth). Default false: code 16. */
  allowQueryStringAuth?: boolean;
}

/** One event HEC accepted, with its metadata, in arrival order. */
export interface HecReceivedEvent {
  event: unknown;
  /** Epoch seconds, when the event carried `time`. */
  time?: number;
  host?: string;
  source?: string;
  sourcetype?: string;
  /** The index it went to (the event's, else the default). */
  index: string;
  fields?: Record<string, unknown>;
  token: string;
  channel?: string;
  /** The ack id of its request (ack on and the request answered 200). */
  ackId?: number;
  /** Position in `requests` of the request that carried it. */
  requestIndex: number;
  /** Position of the event inside its request (0-based). */
  eventNumber: number;
}

export type HecEndpoint = 'event' | 'ack' | 'health' | 'unknown';

/** One HTTP request the fake saw, and what it answered. */
export interface HecRecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  endpoint: HecEndpoint;
  headers: http.IncomingHttpHeaders;
  /** The body as sent. */
  rawBody: Buffer;
  /** The body after Content-Encoding was undone, as UTF-8 (undefined if it could not be). */
  body?: string;
  /** HTTP status answered; null while pending or when the connection was dropped. */
  status: number | null;
  /** The answer body, parsed when JSON (for `dropAfterAccept`, the answer that was withheld). */
  response?: unknown;
  responseHeaders: Record<string, string>;
  /** The scripted answer this request consumed, if any. */
  scripted?: HecScriptedAnswer;
  /** The socket was closed instead of answering. */
  dropped: boolean;
}

/**
 * A scripted answer for one upcoming request; it replaces normal processing (nothing is indexed)
 * unless it only sets `delayMs` or `dropAfterAccept`.
 */
export interface HecScriptedAnswer {
  /** Wait this long before answering (or before normal processing when nothing else is set). */
  delayMs?: number;
  /** HTTP status to answer, e.g. 429, 503, 500. */
  status?: number;
  /** HEC code in the body; default by status (429→26, 503→9, 500→8, 400→6, 401→2, 403→4, 200→0). */
  code?: number;
  /** Body text; default the code's text. */
  text?: string;
  /** Sets `Retry-After: <seconds>`. */
  retryAfterSeconds?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** A raw body to send instead of the JSON one. */
  body?: string;
  /** Close the socket without answering, before processing (nothing indexed). */
  drop?: boolean;
  /** Process normally (events indexed, ack assigned) and then close the socket without answering. */
  dropAfterAccept?: boolean;
}

export type HecDownMode = 'refuse' | 'unavailable';

export interface FakeHec {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly tokens: readonly string[];
  /** Every accepted event, in order. */
  readonly events: HecReceivedEvent[];
  /** Every request, in arrival order. */
  readonly requests: HecRecordedRequest[];
  /** Queues answers for the next event requests (services/collector[/event]), one each. */
  script(...answers: HecScriptedAnswer[]): void;
  /** Queues answers for the next ack requests. */
  scriptAck(...answers: HecScriptedAnswer[]): void;
  /** Scripted answers not used yet: [event, ack]. */
  pendingScripts(): { event: number; ack: number };
  /** 'refuse' (default): connections refused; 'unavailable': 503 to everything. false: back up. */
  setDown(down: boolean, mode?: HecDownMode): Promise<void>;
  /** Acks of requests accepted from now on turn true after this many ms. */
  setAckDelay(ms: number): void;
  /** Acks of requests accepted from now on stay pending until `releaseAcks()`. */
  holdAcks(): void;
  /** Stops holding and turns every pending ack true. */
  releaseAcks(): void;
  /** Every pending ack is lost: it will never turn true (data lost before indexing). */
  loseAcks(): void;
  /** Ack ids of a channel that are not indexed yet (held, delayed or lost). */
  pendingAckIds(channel: string): number[];
  /** The token answers code 1 (403) from now on. */
  disableToken(token: string): void;
  enableToken(token: string): void;
  /** Forgets recorded events and requests (scripts, channels and acks stay). */
  clear(): void;
  close(): Promise<void>;
}

type AckState = 'pending' | 'indexed' | 'lost';

interface Channel {
  nextAckId: number;
  acks: Map<number, AckState>;
}

class HecError {
  constructor(
    readonly code: number,
    readonly invalidEventNumber?: number,
  ) {}
}

/** Outcome of splitting: a parsed value, or the reason the text at that position is not JSON. */
export type JsonSplitItem = { ok: true; value: unknown } | { ok: false; reason: string };

const isJsonWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Splits concatenated JSON values (HEC's "stacked" event objects, optionally separated by JSON
 * whitespace) one at a time, so a caller can stop at the first bad one. Each value must start
 * with `{` or `[`; after a bad item the generator stops.
 */
export function* splitConcatenatedJson(text: string): Generator<JsonSplitItem> {
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isJsonWhitespace(text.charCodeAt(i))) i += 1;
    if (i >= n) return;
    const start = i;
    const first = text[i];
    if (first !== '{' && first !== '[') {
      yield { ok: false, reason: `expected a JSON object at offset ${start}` };
      return;
    }
    let depth = 0;
    let inString = false;
    let escaped = false;
    let closed = false;
    for (; i < n; i += 1) {
      const c = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) {
          i += 1;
          closed = true;
          break;
        }
      }
    }
    if (!closed) {
      yield { ok: false, reason: `unterminated JSON value at offset ${start}` };
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, i));
    } catch (error) {
      yield { ok: false, reason: `malformed JSON at offset ${start}: ${(error as Error).message}` };
      return;
    }
    yield { ok: true, value };
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one event envelope the way HEC does; throws HecError(code) on a bad one. */
function toReceivedEvent(
  value: unknown,
  eventNumber: number,
  ctx: { allowed?: Set<string>; defaultIndex: string },
): Omit<HecReceivedEvent, 'token' | 'channel' | 'ackId' | 'requestIndex'> {
  const bad = (code: number) => new HecError(code, eventNumber);
  if (!isPlainObject(value)) throw bad(6);
  if (!('event' in value) || value.event === null || value.event === undefined) throw bad(12);
  if (value.event === '') throw bad(13);
  const out: Omit<HecReceivedEvent, 'token' | 'channel' | 'ackId' | 'requestIndex'> = {
    event: value.event,
    index: ctx.defaultIndex,
    eventNumber,
  };
  if (value.time !== undefined) {
    const t = typeof value.time === 'string' && value.time.trim() !== '' ? Number(value.time) : value.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw bad(6);
    out.time = t;
  }
  for (const key of ['host', 'source', 'sourcetype'] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== 'string') throw bad(6);
    out[key] = value[key] as string;
  }
  if (value.index !== undefined) {
    if (typeof value.index !== 'string') throw bad(6);
    if (value.index !== '') {
      if (ctx.allowed && !ctx.allowed.has(value.index)) throw bad(7);
      out.index = value.index;
    }
  }
  if (value.fields !== undefined) {
    if (!isPlainObject(value.fields)) throw bad(6);
    for (const v of Object.values(value.fields)) if (isPlainObject(v)) throw bad(15);
    out.fields = value.fields;
  }
  return out;
}

function hecBody(code: number, invalidEventNumber?: number, ackId?: number): Record<string, unknown> {
  const body: Record<string, unknown> = { text: HEC_CODES[code]?.[1] ?? 'Unknown', code };
  if (invalidEventNumber !== undefined) body['invalid-event-number'] = invalidEventNumber;
  if (ackId !== undefined) body.ackId = ackId;
  return body;
}

function endpointOf(path: string): HecEndpoint {
  switch (path.replace(/\/+$/, '')) {
    case '/services/collector':
    case '/services/collector/event':
    case '/services/collector/event/1.0':
      return 'event';
    case '/services/collector/ack':
    case '/services/collector/ack/1.0':
      return 'ack';
    case '/services/collector/health':
    case '/services/collector/health/1.0':
      return 'health';
    default:
      return 'unknown';
  }
}

type AuthResult = { token: string } | { error: HecError };

export async function startFakeHec(options: FakeHecOptions = {}): Promise<FakeHec> {
  const tokens = [...(options.tokens ?? [FAKE_HEC_TOKEN])];
  const known = new Set(tokens);
  const disabled = new Set<string>();
  const allowed = options.indexes ? new Set(options.indexes) : undefined;
  const defaultIndex = options.defaultIndex ?? options.indexes?.[0] ?? 'main';
  const partialAcceptance = options.partialAcceptance ?? true;
  const ackEnabled = options.ackEnabled ?? false;
  let ackDelayMs = options.ackDelayMs ?? 0;
  let holding = false;
  let down: HecDownMode | undefined;
  let closed = false;

  const events: HecReceivedEvent[] = [];
  const requests: HecRecordedRequest[] = [];
  const eventScript: HecScriptedAnswer[] = [];
  const ackScript: HecScriptedAnswer[] = [];
  const channels = new Map<string, Channel>();
  const timers = new Set<NodeJS.Timeout>();

  const channelOf = (id: string): Channel => {
    const key = id.toLowerCase();
    let ch = channels.get(key);
    if (!ch) {
      ch = { nextAckId: 0, acks: new Map() };
      channels.set(key, ch);
    }
    return ch;
  };

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const pause = (ms: number) => new Promise<void>((resolve) => later(ms, resolve));

  const authenticate = (req: http.IncomingMessage, query: Record<string, string>): AuthResult => {
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header === undefined) {
      if (query.token === undefined) return { error: new HecError(2) };
      if (!known.has(query.token)) return { error: new HecError(4) };
      if (!options.allowQueryStringAuth) return { error: new HecError(16) };
      token = query.token;
    } else {
      const match = /^(\S+)\s*(.*)$/.exec(header.trim());
      const scheme = match?.[1]?.toLowerCase();
      const credential = match?.[2]?.trim() ?? '';
      if (scheme === 'splunk') token = credential;
      else if (scheme === 'basic') {
        // Splunk accepts the token as the Basic-auth password (any user name).
        const decoded = Buffer.from(credential, 'base64').toString('utf8');
        token = decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : undefined;
      }
      if (token === undefined) return { error: new HecError(3) };
      if (token === '') return { error: new HecError(2) };
      if (!known.has(token)) return { error: new HecError(4) };
    }
    if (disabled.has(token)) return { error: new HecError(1) };
    return { token };
  };

  /** The request's channel: undefined when absent, HecError(11) when not a GUID. */
  const requestChannel = (req: http.IncomingMessage, query: Record<string, string>): string | HecError | undefined => {
    const raw = req.headers['x-splunk-request-channel'];
    const value = (Array.isArray(raw) ? raw[0] : raw) ?? query.channel;
    if (value === undefined || value === '') return undefined;
    return GUID.test(value) ? value.toLowerCase() : new HecError(11);
  };

  const decodeBody = async (req: http.IncomingMessage, raw: Buffer): Promise<string | number> => {
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return raw.toString('utf8');
    if (encoding !== 'gzip') return 415;
    try {
      return (await gunzip(raw)).toString('utf8');
    } catch {
      return 6;
    }
  };

  const settleAck = (ch: Channel, ackId: number) => {
    if (holding) {
      ch.acks.set(ackId, 'pending');
    } else if (ackDelayMs > 0) {
      ch.acks.set(ackId, 'pending');
      later(ackDelayMs, () => {
        if (ch.acks.get(ackId) === 'pending') ch.acks.set(ackId, 'indexed');
      });
    } else {
      ch.acks.set(ackId, 'indexed');
    }
  };

  interface Answer {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }
  const hec = (code: number, extra: { invalidEventNumber?: number; ackId?: number } = {}): Answer => ({
    status: HEC_CODES[code][0],
    body: hecBody(code, extra.invalidEventNumber, extra.ackId),
  });
  const fromError = (error: HecError): Answer => hec(error.code, { invalidEventNumber: error.invalidEventNumber });

  const handleEvent = async (req: http.IncomingMessage, query: Record<string, string>, record: HecRecordedRequest, requestIndex: number): Promise<Answer> => {
    if (options.maxContentLength !== undefined && record.rawBody.length > options.maxContentLength) {
      return {
        status: 413,
        headers: { 'content-type': 'text/html; charset=UTF-8' },
        body:
          '<!doctype html><html><head><title>413 Content-Length of request too large</title></head>' +
          '<body><h1>Content-Length of request too large</h1></body></html>',
      };
    }
    const auth = authenticate(req, query);
    if ('error' in auth) return fromError(auth.error);
    const channel = requestChannel(req, query);
    if (channel instanceof HecError) return fromError(channel);
    if (ackEnabled && channel === undefined) return hec(10);
    const decoded = await decodeBody(req, record.rawBody);
    if (decoded === 415) {
      return {
        status: 415,
        headers: { 'content-type': 'text/html; charset=UTF-8' },
        body: '<!doctype html><html><body><h1>Unsupported Media Type</h1></body></html>',
      };
    }
    if (typeof decoded === 'number') return hec(decoded);
    record.body = decoded;
    if (decoded.trim() === '') return hec(5);

    const accepted: Omit<HecReceivedEvent, 'token' | 'channel' | 'ackId' | 'requestIndex'>[] = [];
    let failure: HecError | undefined;
    let eventNumber = 0;
    for (const item of splitConcatenatedJson(decoded)) {
      try {
        if (!item.ok) throw new HecError(6, eventNumber);
        accepted.push(toReceivedEvent(item.value, eventNumber, { allowed, defaultIndex }));
      } catch (error) {
        if (!(error instanceof HecError)) throw error;
        failure = error;
        break;
      }
      eventNumber += 1;
    }
    let ackId: number | undefined;
    if (!failure && ackEnabled && channel !== undefined) {
      const ch = channelOf(channel);
      ackId = ch.nextAckId;
      ch.nextAckId += 1;
      settleAck(ch, ackId);
    }
    if (!failure || partialAcceptance) {
      for (const e of accepted) {
        events.push({ ...e, token: auth.token, requestIndex, ...(channel ? { channel } : {}), ...(ackId !== undefined ? { ackId } : {}) });
      }
    }
    if (failure) return fromError(failure);
    return hec(0, { ackId });
  };

  const handleAck = async (req: http.IncomingMessage, query: Record<string, string>, record: HecRecordedRequest): Promise<Answer> => {
    const auth = authenticate(req, query);
    if ('error' in auth) return fromError(auth.error);
    if (!ackEnabled) return hec(14);
    const channel = requestChannel(req, query);
    if (channel instanceof HecError) return fromError(channel);
    if (channel === undefined) return hec(10);
    const decoded = await decodeBody(req, record.rawBody);
    if (typeof decoded === 'number') return hec(6);
    record.body = decoded;
    if (decoded.trim() === '') return hec(5);
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoded);
    } catch {
      return hec(6);
    }
    const ids = isPlainObject(parsed) ? parsed.acks : undefined;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0)) return hec(6);
    const ch = channels.get(channel);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const indexed = ch?.acks.get(id) === 'indexed';
      acks[String(id)] = indexed;
      if (indexed) ch?.acks.delete(id); // read-once: reported true once, then forgotten
    }
    return { status: 200, body: { acks } };
  };

  const handleHealth = (req: http.IncomingMessage): Answer => {
    if (down === 'unavailable') return hec(18);
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^splunk\s+(\S+)$/i.exec(header.trim());
      if (!match || !known.has(match[1])) return hec(21);
      if (disabled.has(match[1])) return hec(22);
    }
    return hec(17);
  };

  const send = (res: http.ServerResponse, record: HecRecordedRequest, answer: Answer) => {
    const isText = typeof answer.body === 'string';
    const payload = isText ? (answer.body as string) : JSON.stringify(answer.body);
    const headers: Record<string, string> = {
      'content-type': isText ? 'text/plain; charset=UTF-8' : 'application/json; charset=UTF-8',
      ...answer.headers,
      'content-length': String(Buffer.byteLength(payload)),
    };
    record.status = answer.status;
    record.response = answer.body;
    record.responseHeaders = headers;
    if (!res.destroyed) res.writeHead(answer.status, headers).end(payload);
  };

  const scriptedAnswer = (s: HecScriptedAnswer): Answer => {
    const status = s.status ?? 200;
    const headers: Record<string, string> = { ...s.headers };
    if (s.retryAfterSeconds !== undefined) headers['retry-after'] = String(s.retryAfterSeconds);
    if (s.body !== undefined) return { status, headers, body: s.body };
    const code = s.code ?? DEFAULT_CODE_FOR_STATUS[status];
    const body = code === undefined ? { text: http.STATUS_CODES[status] ?? 'Error', code: status } : { text: s.text ?? HEC_CODES[code]?.[1] ?? 'Error', code };
    return { status, headers, body };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const endpoint = endpointOf(url.pathname);
    const record: HecRecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      endpoint,
      headers: req.headers,
      rawBody: Buffer.concat(chunks),
      status: null,
      responseHeaders: {},
      dropped: false,
    };
    const requestIndex = requests.push(record) - 1;
    const drop = () => {
      record.dropped = true;
      req.socket.destroy();
    };

    const expectsPost = endpoint === 'event' || endpoint === 'ack';
    if (endpoint === 'unknown' || (expectsPost && record.method !== 'POST')) {
      return send(res, record, { status: 404, body: NOT_FOUND });
    }
    if (endpoint === 'health') return send(res, record, handleHealth(req));
    if (down === 'unavailable') return send(res, record, hec(9));

    const scripted = (endpoint === 'event' ? eventScript : ackScript).shift();
    if (scripted) {
      record.scripted = scripted;
      if (scripted.delayMs) await pause(scripted.delayMs);
      if (scripted.drop) return drop();
      if (scripted.status !== undefined || scripted.body !== undefined) {
        return send(res, record, scriptedAnswer(scripted));
      }
    }
    const answer = endpoint === 'event' ? await handleEvent(req, query, record, requestIndex) : await handleAck(req, query, record);
    if (scripted?.dropAfterAccept) {
      record.response = answer.body; // what it would have answered; status stays null
      return drop();
    }
    send(res, record, answer);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(hecBody(8)));
      }
      // Surface fake bugs in the test output rather than hiding them behind a 500.
      console.error('fake HEC handler failed', error);
    });
  });
  server.keepAliveTimeout = 5_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const openSockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });

  const fake: FakeHec = {
    url: `http://127.0.0.1:${port}`,
    port,
    tokens,
    events,
    requests,
    script: (...answers) => void eventScript.push(...answers),
    scriptAck: (...answers) => void ackScript.push(...answers),
    pendingScripts: () => ({ event: eventScript.length, ack: ackScript.length }),
    async setDown(isDown, mode = 'refuse') {
      if (closed) throw new Error('fake HEC is closed');
      if (isDown) {
        if (down === 'refuse') return;
        down = mode;
        if (mode === 'refuse') {
          await stopListening();
          for (const socket of openSockets) socket.destroy();
        }
        return;
      }
      const wasRefusing = down === 'refuse';
      down = undefined;
      if (wasRefusing) await listen(port);
    },
    setAckDelay: (ms) => {
      ackDelayMs = ms;
    },
    holdAcks: () => {
      holding = true;
    },
    releaseAcks: () => {
      holding = false;
      for (const ch of channels.values()) {
        for (const [id, state] of ch.acks) if (state === 'pending') ch.acks.set(id, 'indexed');
      }
    },
    loseAcks: () => {
      for (const ch of channels.values()) {
        for (const [id, state] of ch.acks) if (state === 'pending') ch.acks.set(id, 'lost');
      }
    },
    pendingAckIds: (channel) => {
      const ch = channels.get(channel.toLowerCase());
      return ch ? [...ch.acks].filter(([, s]) => s !== 'indexed').map(([id]) => id) : [];
    },
    disableToken: (token) => void disabled.add(token),
    enableToken: (token) => void disabled.delete(token),
    clear: () => {
      events.length = 0;
      requests.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (server.listening) await stopListening();
      for (const socket of openSockets) socket.destroy();
    },
  };
  return fake;
}
