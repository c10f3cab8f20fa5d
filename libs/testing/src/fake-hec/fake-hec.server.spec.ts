import { gzipSync } from 'node:zlib';
import { waitFor } from '@telemetry/testing';
import { FAKE_HEC_TOKEN, FakeHec, FakeHecOptions, splitConcatenatedJson, startFakeHec } from './fake-hec.server';

const CHANNEL = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const OTHER_CHANNEL = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

interface PostOptions {
  token?: string | null;
  authorization?: string;
  headers?: Record<string, string>;
  gzip?: boolean;
  channel?: string;
  path?: string;
}

describe('fake HEC server', () => {
  let hec: FakeHec;
  const start = async (options?: FakeHecOptions) => {
    hec = await startFakeHec(options);
    return hec;
  };
  afterEach(async () => {
    await hec?.close();
  });

  const post = async (body: string | Buffer, options: PostOptions = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (options.token !== null) headers.authorization = `Splunk ${options.token ?? FAKE_HEC_TOKEN}`;
    if (options.channel) headers['x-splunk-request-channel'] = options.channel;
    let payload: Buffer = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (options.gzip) {
      payload = gzipSync(payload);
      headers['content-encoding'] = 'gzip';
    }
    const res = await fetch(`${hec.url}${options.path ?? '/services/collector/event'}`, {
      method: 'POST',
      headers,
      body: payload,
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the fake answered, as the specs index into it
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  const ack = (ids: number[], channel: string | null = CHANNEL, token = FAKE_HEC_TOKEN) =>
    post(JSON.stringify({ acks: ids }), { path: '/services/collector/ack', channel: channel ?? undefined, token });

  const ev = (event: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ ...extra, event });

  describe('event parsing', () => {
    it('accepts concatenated event objects separated by nothing, spaces and newlines, keeping order and metadata', async () => {
      await start();
      const body =
        JSON.stringify({ time: 1700000000.123, host: 'h1', source: 's1', sourcetype: 'st1', index: 'main', event: { n: 1 } }) +
        JSON.stringify({ event: 'two', fields: { env: 'prod', tags: ['a', 'b'] } }) +
        '  \n\t' +
        JSON.stringify({ time: '1700000001.5', event: 3 }) +
        '\r\n' +
        JSON.stringify({ event: { text: 'braces } and { inside "quotes" \\" ' } }) +
        '\n';
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ text: 'Success', code: 0 });
      expect(hec.events.map((e) => e.event)).toEqual([{ n: 1 }, 'two', 3, { text: 'braces } and { inside "quotes" \\" ' }]);
      expect(hec.events[0]).toMatchObject({
        time: 1700000000.123,
        host: 'h1',
        source: 's1',
        sourcetype: 'st1',
        index: 'main',
        token: FAKE_HEC_TOKEN,
        eventNumber: 0,
      });
      expect(hec.events[1]).toMatchObject({ index: 'main', fields: { env: 'prod', tags: ['a', 'b'] }, eventNumber: 1 });
      expect(hec.events[1].time).toBeUndefined();
      expect(hec.events[2].time).toBe(1700000001.5);
    });

    it('decodes a gzip body', async () => {
      await start();
      const res = await post(ev({ a: 1 }) + '\n' + ev({ a: 2 }), { gzip: true });
      expect(res.status).toBe(200);
      expect(hec.events.map((e) => e.event)).toEqual([{ a: 1 }, { a: 2 }]);
      const [request] = hec.requests;
      expect(request.headers['content-encoding']).toBe('gzip');
      expect(request.rawBody[0]).toBe(0x1f); // gzip magic, as sent
      expect(request.body).toBe(ev({ a: 1 }) + '\n' + ev({ a: 2 }));
    });

    it('accepts the /services/collector and /event/1.0 aliases', async () => {
      await start();
      expect((await post(ev(1), { path: '/services/collector' })).status).toBe(200);
      expect((await post(ev(2), { path: '/services/collector/event/1.0' })).status).toBe(200);
      expect(hec.events.map((e) => e.event)).toEqual([1, 2]);
    });

    it('answers code 5 for an empty or whitespace-only body', async () => {
      await start();
      for (const body of ['', '  \n\t ']) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(res.json).toEqual({ text: 'No data', code: 5 });
      }
      expect((await post('', { gzip: true })).json).toEqual({ text: 'No data', code: 5 });
    });

    it('answers code 6 with invalid-event-number for malformed JSON and keeps the events before it', async () => {
      await start();
      const res = await post(`${ev('a')}\n${ev('b')}\n{"event": "c\n${ev('d')}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
      expect(hec.events.map((e) => e.event)).toEqual(['a', 'b']);
    });

    it('discards the whole request on a bad event with partialAcceptance: false', async () => {
      await start({ partialAcceptance: false });
      const res = await post(`${ev('a')}${ev('b')}{"nope": 1}`);
      expect(res.json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 2 });
      expect(hec.events).toEqual([]);
    });

    it('answers code 6 for values that are not event objects and for a non-numeric time', async () => {
      await start();
      for (const body of ['[{"event":1}]', `${ev(1)} 42`, `${ev(1)} garbage`, ev(1, { time: 'yesterday' }), ev(1, { host: 7 })]) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(res.json.code).toBe(6);
      }
      expect((await post(`${ev(1)} 42`)).json['invalid-event-number']).toBe(1);
      expect((await post(ev(1, { time: 'yesterday' }))).json['invalid-event-number']).toBe(0);
    });

    it('answers code 12 for a missing or null event and code 13 for a blank one', async () => {
      await start();
      expect((await post(`${ev(1)}{"host":"h"}`)).json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 1 });
      expect((await post('{"event":null}')).json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 0 });
      const blank = await post(`${ev('x')}${ev('y')}${ev('')}`);
      expect(blank.status).toBe(400);
      expect(blank.json).toEqual({ text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 2 });
    });

    it('answers code 7 for an index outside the allowed ones and uses the first allowed index as default', async () => {
      await start({ indexes: ['telemetry', 'audit'] });
      const res = await post(`${ev(1)}${ev(2, { index: 'audit' })}${ev(3, { index: 'main' })}`);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ text: 'Incorrect index', code: 7, 'invalid-event-number': 2 });
      expect(hec.events.map((e) => [e.event, e.index])).toEqual([
        [1, 'telemetry'],
        [2, 'audit'],
      ]);
    });

    it('answers code 15 for nested indexed fields', async () => {
      await start();
      const res = await post(ev(1, { fields: { nested: { no: true } } }));
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ text: 'Error in handling indexed fields', code: 15, 'invalid-event-number': 0 });
    });

    it('answers 413 above maxContentLength (measured on the body as sent)', async () => {
      await start({ maxContentLength: 100 });
      const big = ev('x'.repeat(200));
      const res = await post(big);
      expect(res.status).toBe(413);
      expect(res.json).toBeUndefined(); // HTML, outside the JSON protocol
      expect((await post(big, { gzip: true })).status).toBe(200); // compresses below the limit
    });

    it('answers 415 for an unknown Content-Encoding and code 6 for a corrupt gzip body', async () => {
      await start();
      expect((await post(ev(1), { headers: { 'content-encoding': 'br' } })).status).toBe(415);
      const corrupt = await post(Buffer.from('not gzip at all'), { headers: { 'content-encoding': 'gzip' } });
      expect(corrupt.status).toBe(400);
      expect(corrupt.json).toEqual({ text: 'Invalid data format', code: 6 });
      expect(hec.events).toEqual([]);
    });
  });

  describe('authorization', () => {
    it('answers 401 code 2 without a token and 401 code 3 for a malformed Authorization header', async () => {
      await start();
      expect(await post(ev(1), { token: null })).toMatchObject({ status: 401, json: { text: 'Token is required', code: 2 } });
      expect(await post(ev(1), { authorization: `Bearer ${FAKE_HEC_TOKEN}` })).toMatchObject({ status: 401, json: { text: 'Invalid authorization', code: 3 } });
      expect(await post(ev(1), { authorization: FAKE_HEC_TOKEN })).toMatchObject({ status: 401, json: { code: 3 } });
      expect(hec.events).toEqual([]);
    });

    it('answers 403 code 4 for an unknown token and accepts any configured token', async () => {
      await start({ tokens: ['tok-a', 'tok-b'] });
      expect(await post(ev(1), { token: 'tok-x' })).toMatchObject({ status: 403, json: { text: 'Invalid token', code: 4 } });
      expect((await post(ev(1), { token: 'tok-b' })).status).toBe(200);
      expect((await post(ev(2), { authorization: `Basic ${Buffer.from('any:tok-a').toString('base64')}` })).status).toBe(200);
      expect(hec.events.map((e) => e.token)).toEqual(['tok-b', 'tok-a']);
    });

    it('answers 403 code 1 for a disabled token until it is enabled again', async () => {
      await start();
      hec.disableToken(FAKE_HEC_TOKEN);
      expect(await post(ev(1))).toMatchObject({ status: 403, json: { text: 'Token disabled', code: 1 } });
      hec.enableToken(FAKE_HEC_TOKEN);
      expect((await post(ev(1))).status).toBe(200);
    });

    it('refuses query-string tokens with code 16 (valid) or 4 (unknown) unless allowed', async () => {
      await start();
      const q = (token: string) => post(ev(1), { token: null, path: `/services/collector/event?token=${token}` });
      expect(await q(FAKE_HEC_TOKEN)).toMatchObject({ status: 400, json: { text: 'Query string authorization is not enabled', code: 16 } });
      expect(await q('nope')).toMatchObject({ status: 403, json: { code: 4 } });
      await hec.close();
      await start({ allowQueryStringAuth: true });
      expect((await q(FAKE_HEC_TOKEN)).status).toBe(200);
    });
  });

  describe('channels and indexer acknowledgement', () => {
    it('with ack on, answers 400 code 10 without a channel and code 11 for a non-GUID channel, after auth', async () => {
      await start({ ackEnabled: true });
      expect(await post(ev(1))).toMatchObject({ status: 400, json: { text: 'Data channel is missing', code: 10 } });
      expect(await post(ev(1), { channel: 'not-a-guid' })).toMatchObject({ status: 400, json: { text: 'Invalid data channel', code: 11 } });
      expect(await post(ev(1), { token: 'bad' })).toMatchObject({ status: 403, json: { code: 4 } });
      expect(hec.events).toEqual([]);
    });

    it('gives per-channel ack ids increasing from 0, from the header or ?channel=', async () => {
      await start({ ackEnabled: true });
      expect((await post(ev(1), { channel: CHANNEL })).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
      expect((await post(ev(2), { channel: CHANNEL.toUpperCase() })).json).toEqual({ text: 'Success', code: 0, ackId: 1 });
      expect((await post(ev(3), { path: `/services/collector/event?channel=${OTHER_CHANNEL}` })).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
      expect(hec.events.map((e) => [e.event, e.channel, e.ackId])).toEqual([
        [1, CHANNEL, 0],
        [2, CHANNEL, 1],
        [3, OTHER_CHANNEL, 0],
      ]);
      // a failed request gets no ack id and does not use one up
      expect((await post('{"x":1}', { channel: CHANNEL })).json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 0 });
      expect((await post(ev(4), { channel: CHANNEL })).json.ackId).toBe(2);
    });

    it('reports an indexed ack true exactly once (read-once), unknown ids false', async () => {
      await start({ ackEnabled: true });
      await post(ev(1), { channel: CHANNEL });
      await post(ev(2), { channel: CHANNEL });
      const first = await ack([0, 1, 9]);
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ acks: { 0: true, 1: true, 9: false } });
      expect((await ack([0, 1])).json).toEqual({ acks: { 0: false, 1: false } });
      expect((await ack([0], OTHER_CHANNEL)).json).toEqual({ acks: { 0: false } });
    });

    it('keeps acks pending while held and turns them true on release', async () => {
      await start({ ackEnabled: true });
      hec.holdAcks();
      await post(ev(1), { channel: CHANNEL });
      await post(ev(2), { channel: CHANNEL });
      expect(hec.events).toHaveLength(2); // accepted, just not acknowledged
      expect((await ack([0, 1])).json).toEqual({ acks: { 0: false, 1: false } });
      expect(hec.pendingAckIds(CHANNEL)).toEqual([0, 1]);
      hec.releaseAcks();
      expect((await ack([0, 1])).json).toEqual({ acks: { 0: true, 1: true } });
      await post(ev(3), { channel: CHANNEL });
      expect((await ack([2])).json).toEqual({ acks: { 2: true } }); // no longer holding
    });

    it('never acknowledges lost acks', async () => {
      await start({ ackEnabled: true });
      hec.holdAcks();
      await post(ev(1), { channel: CHANNEL });
      hec.loseAcks();
      hec.releaseAcks();
      expect((await ack([0])).json).toEqual({ acks: { 0: false } });
      expect(hec.pendingAckIds(CHANNEL)).toEqual([0]);
    });

    it('turns acks true after ackDelayMs', async () => {
      await start({ ackEnabled: true, ackDelayMs: 150 });
      await post(ev(1), { channel: CHANNEL });
      expect((await ack([0])).json).toEqual({ acks: { 0: false } });
      await waitFor(async () => (await ack([0])).json.acks['0'] === true, { timeoutMs: 5_000, intervalMs: 20, description: 'ack 0 true' });
      expect((await ack([0])).json).toEqual({ acks: { 0: false } });
    });

    it('validates ack queries: auth, ack disabled (14), channel (10/11) and body (6)', async () => {
      await start({ ackEnabled: true });
      expect(await ack([0], CHANNEL, 'bad')).toMatchObject({ status: 403, json: { code: 4 } });
      expect(await ack([0], null)).toMatchObject({ status: 400, json: { text: 'Data channel is missing', code: 10 } });
      expect(await ack([0], 'xyz')).toMatchObject({ status: 400, json: { code: 11 } });
      const bad = await post('{"acks":"0"}', { path: '/services/collector/ack', channel: CHANNEL });
      expect(bad).toMatchObject({ status: 400, json: { text: 'Invalid data format', code: 6 } });
      await post(ev(1), { channel: CHANNEL });
      const viaQuery = await post('{"acks":[0]}', { path: `/services/collector/ack?channel=${CHANNEL}` });
      expect(viaQuery.json).toEqual({ acks: { 0: true } });
      await hec.close();
      await start();
      expect(await ack([0])).toMatchObject({ status: 400, json: { text: 'ACK is disabled', code: 14 } });
    });

    it('accepts a GUID channel without ack (no ackId) but rejects a malformed one', async () => {
      await start();
      expect((await post(ev(1), { channel: CHANNEL })).json).toEqual({ text: 'Success', code: 0 });
      expect((await post(ev(1), { channel: 'nope' })).json).toEqual({ text: 'Invalid data channel', code: 11 });
    });
  });

  describe('scripted answers', () => {
    it('answers a scripted 429 with Retry-After, then processes normally', async () => {
      await start();
      hec.script({ status: 429, retryAfterSeconds: 2 });
      const busy = await post(ev(1));
      expect(busy.status).toBe(429);
      expect(busy.headers.get('retry-after')).toBe('2');
      expect(busy.json).toEqual({ text: 'HEC queue is at capacity and cannot process any more requests', code: 26 });
      expect(hec.events).toEqual([]);
      expect((await post(ev(1))).status).toBe(200);
      expect(hec.events).toHaveLength(1);
      expect(hec.requests.map((r) => r.status)).toEqual([429, 200]);
      expect(hec.requests[0].scripted).toEqual({ status: 429, retryAfterSeconds: 2 });
    });

    it('plays scripted answers in order: 503 code 9, 500, custom body', async () => {
      await start();
      hec.script({ status: 503, code: 9, retryAfterSeconds: 1 }, { status: 500 }, { status: 502, body: 'bad gateway' });
      expect(hec.pendingScripts()).toEqual({ event: 3, ack: 0 });
      const r1 = await post(ev(1));
      expect(r1).toMatchObject({ status: 503, json: { text: 'Server is busy', code: 9 } });
      expect(r1.headers.get('retry-after')).toBe('1');
      expect(await post(ev(1))).toMatchObject({ status: 500, json: { text: 'Internal server error', code: 8 } });
      expect(await post(ev(1))).toMatchObject({ status: 502, text: 'bad gateway' });
      expect(hec.pendingScripts()).toEqual({ event: 0, ack: 0 });
      expect(hec.events).toEqual([]);
    });

    it('drops the connection for { drop: true } without indexing', async () => {
      await start();
      hec.script({ drop: true });
      await expect(post(ev(1))).rejects.toThrow();
      expect(hec.events).toEqual([]);
      expect(hec.requests[0]).toMatchObject({ dropped: true, status: null });
      expect((await post(ev(2))).status).toBe(200);
    });

    it('indexes and then drops the connection for { dropAfterAccept: true }', async () => {
      await start({ ackEnabled: true });
      hec.script({ dropAfterAccept: true });
      await expect(post(ev(1), { channel: CHANNEL })).rejects.toThrow();
      expect(hec.events.map((e) => [e.event, e.ackId])).toEqual([[1, 0]]);
      expect(hec.requests[0]).toMatchObject({ dropped: true, status: null, response: { text: 'Success', code: 0, ackId: 0 } });
    });

    it('delays the answer for { delayMs }', async () => {
      await start();
      hec.script({ delayMs: 120 });
      const started = Date.now();
      expect((await post(ev(1))).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(hec.events).toHaveLength(1);
    });

    it('scripts ack queries separately', async () => {
      await start({ ackEnabled: true });
      await post(ev(1), { channel: CHANNEL });
      hec.scriptAck({ status: 503 });
      expect((await ack([0])).status).toBe(503);
      expect((await ack([0])).json).toEqual({ acks: { 0: true } });
    });
  });

  describe('down and health', () => {
    it('answers health with code 17, and 21/22 for an unknown/disabled token', async () => {
      await start();
      const health = async (authorization?: string) => {
        const res = await fetch(`${hec.url}/services/collector/health`, { headers: authorization ? { authorization } : {} });
        return { status: res.status, json: await res.json() };
      };
      expect(await health()).toEqual({ status: 200, json: { text: 'HEC is healthy', code: 17 } });
      expect(await health(`Splunk ${FAKE_HEC_TOKEN}`)).toEqual({ status: 200, json: { text: 'HEC is healthy', code: 17 } });
      expect(await health('Splunk nope')).toEqual({ status: 400, json: { text: 'Invalid token', code: 21 } });
      hec.disableToken(FAKE_HEC_TOKEN);
      expect(await health(`Splunk ${FAKE_HEC_TOKEN}`)).toEqual({ status: 400, json: { text: 'Token disabled', code: 22 } });
    });

    it('refuses connections while down and serves again on the same URL when back up', async () => {
      await start();
      expect((await post(ev(1))).status).toBe(200); // leaves a keep-alive connection open
      await hec.setDown(true);
      const failure = (await post(ev(2)).then(
        () => undefined,
        (error: unknown) => error,
      )) as { cause?: { code?: string } } | undefined;
      expect(failure?.cause?.code).toBe('ECONNREFUSED');
      await hec.setDown(false);
      expect((await post(ev(3))).status).toBe(200);
      expect(hec.events.map((e) => e.event)).toEqual([1, 3]);
    });

    it("answers 503 while down in 'unavailable' mode", async () => {
      await start();
      await hec.setDown(true, 'unavailable');
      expect(await post(ev(1))).toMatchObject({ status: 503, json: { text: 'Server is busy', code: 9 } });
      const health = await fetch(`${hec.url}/services/collector/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ text: 'HEC is unhealthy, queues are full', code: 18 });
      await hec.setDown(false);
      expect((await post(ev(1))).status).toBe(200);
    });
  });

  describe('request log and routing', () => {
    it('records method, path, query, headers, bodies, status and response', async () => {
      await start();
      await post(ev('hi'), { path: '/services/collector/event?source=q' });
      expect(hec.requests).toHaveLength(1);
      const [r] = hec.requests;
      expect(r).toMatchObject({
        method: 'POST',
        path: '/services/collector/event',
        query: { source: 'q' },
        endpoint: 'event',
        body: ev('hi'),
        status: 200,
        response: { text: 'Success', code: 0 },
        dropped: false,
      });
      expect(r.headers.authorization).toBe(`Splunk ${FAKE_HEC_TOKEN}`);
      expect(r.rawBody.toString()).toBe(ev('hi'));
      expect(r.responseHeaders['content-type']).toMatch(/application\/json/);
      hec.clear();
      expect(hec.requests).toEqual([]);
    });

    it('answers 404 for unknown paths and GET on the event endpoint', async () => {
      await start();
      expect(await post(ev(1), { path: '/services/collector/raw2' })).toMatchObject({
        status: 404,
        json: { text: 'The requested URL was not found on this server.', code: 404 },
      });
      expect((await fetch(`${hec.url}/services/collector/event`)).status).toBe(404);
    });
  });

  describe('splitConcatenatedJson', () => {
    it('splits stacked values and stops at the first bad one', () => {
      expect([...splitConcatenatedJson(' {"a":1}{"b":[1,{"c":"}"}]}\n\n{"d":"\\"{"} ')]).toEqual([
        { ok: true, value: { a: 1 } },
        { ok: true, value: { b: [1, { c: '}' }] } },
        { ok: true, value: { d: '"{' } },
      ]);
      const items = [...splitConcatenatedJson('{"a":1}{"b":}{"c":3}')];
      expect(items).toHaveLength(2);
      expect(items[1].ok).toBe(false);
      expect([...splitConcatenatedJson('{"a":1')].map((i) => i.ok)).toEqual([false]);
    });
  });
});
