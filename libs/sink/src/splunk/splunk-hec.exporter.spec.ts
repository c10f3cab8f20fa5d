import * as zlib from 'node:zlib';
import type { LogRecord } from '@telemetry/event-log';
import { FAKE_HEC_TOKEN, FakeHec, startFakeHec } from '@telemetry/testing';
import { SinkConfigurationError, SinkItem } from '../exporter.port';
import { SplunkHecExporter } from './splunk-hec.exporter';

function anItem(id: string, payload: Record<string, unknown> = {}): SinkItem {
  const source: LogRecord = { topic: 'telemetry.enriched.v1', partition: 0, offset: '0', key: null, value: Buffer.alloc(0), headers: {}, timestamp: 0 };
  return { eventId: id, tenantId: 'acme', ts: 1732288800.5, payload: JSON.stringify({ event_id: id, tenant_id: 'acme', risk_score: 10, ...payload }), source };
}

// The fake HEC enforces the documented protocol (libs/testing/src/fake-hec): auth, concatenated
// JSON, the code table, channels with read-once acks, scripted 429/503.
describe('SplunkHecExporter against a protocol-faithful fake HEC', () => {
  let hec: FakeHec;

  afterEach(async () => {
    await hec?.close();
  });

  it('delivers a batch as concatenated, gzipped event objects with the auth header and metadata', async () => {
    hec = await startFakeHec();
    const exporter = new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, index: 'main', sourcetype: 'telemetry:flow' });
    const outcomes = await exporter.export([anItem('a'), anItem('b'), anItem('c')]);
    expect(outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }]);
    expect(hec.events.map((event) => (event.event as { event_id: string }).event_id)).toEqual(['a', 'b', 'c']);
    expect(hec.events[0]).toMatchObject({ time: 1732288800.5, sourcetype: 'telemetry:flow', index: 'main', source: 'telemetry-api' });
    const request = hec.requests.find((r) => r.endpoint === 'event')!;
    expect(request.headers['authorization']).toBe(`Splunk ${FAKE_HEC_TOKEN}`);
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(request.rawBody).toString().startsWith('{"time":1732288800.5')).toBe(true);
    expect(request.body!.trim().startsWith('[')).toBe(false);
  });

  it('with indexer acknowledgement, counts a batch delivered only once its ack is true', async () => {
    hec = await startFakeHec({ ackEnabled: true });
    hec.holdAcks();
    const exporter = new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, ack: { enabled: true, pollIntervalMs: 20, timeoutMs: 10_000 } });
    let settled = false;
    const pending = exporter.export([anItem('x')]).then((outcomes) => {
      settled = true;
      return outcomes;
    });
    await waitForCondition(() => exporter.pendingAcks() === 1);
    expect(settled).toBe(false);
    hec.releaseAcks();
    expect(await pending).toEqual([{ kind: 'delivered' }]);
    const channel = hec.requests.find((r) => r.endpoint === 'event')!.headers['x-splunk-request-channel'];
    expect(channel).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes a batch whose ack never comes retriable (ack_timeout), so it is resent, not lost', async () => {
    hec = await startFakeHec({ ackEnabled: true });
    hec.holdAcks();
    hec.loseAcks();
    const exporter = new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, ack: { enabled: true, pollIntervalMs: 20, timeoutMs: 300 } });
    hec.holdAcks();
    const outcomes = await exporter.export([anItem('lost')]);
    expect(outcomes[0]).toMatchObject({ kind: 'retriable', errorClass: 'ack_timeout' });
  });

  it.each([
    [{ status: 429, retryAfterSeconds: 7 }, 'http_429', 7_000],
    [{ status: 503, code: 9, retryAfterSeconds: 3 }, 'hec_server_busy', 3_000],
    [{ status: 500 }, 'http_500', undefined],
  ])('makes every item retriable on %o, honouring Retry-After', async (answer, errorClass, retryAfterMs) => {
    hec = await startFakeHec();
    hec.script(answer);
    const outcomes = await new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN }).export([anItem('a'), anItem('b')]);
    expect(outcomes).toEqual([
      expect.objectContaining({ kind: 'retriable', errorClass, retryAfterMs }),
      expect.objectContaining({ kind: 'retriable', errorClass, retryAfterMs }),
    ]);
    expect(hec.events).toEqual([]);
  });

  it('makes items retriable when HEC is unreachable', async () => {
    hec = await startFakeHec();
    await hec.setDown(true, 'refuse');
    const outcomes = await new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, requestTimeoutMs: 2_000 }).export([anItem('a')]);
    expect(outcomes[0]).toMatchObject({ kind: 'retriable', errorClass: 'network' });
  });

  it('dead-letters the event HEC names as invalid and resends the rest', async () => {
    hec = await startFakeHec();
    const exporter = new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN });
    // An empty `event` is refused by HEC (code 13, "Event field cannot be blank").
    const blank: SinkItem = { ...anItem('blank'), payload: '""' };
    const outcomes = await exporter.export([anItem('first'), blank, anItem('last')]);
    expect(outcomes[0]).toEqual({ kind: 'delivered' });
    expect(outcomes[1]).toMatchObject({ kind: 'permanent', errorClass: expect.stringMatching(/^hec_code_(12|13|6)$/) });
    expect(outcomes[2]).toEqual({ kind: 'delivered' });
    const delivered = hec.events.map((event) => (event.event as { event_id?: string }).event_id);
    expect(delivered).toContain('last');
  });

  it('splits a batch HEC finds too large (413) and delivers both halves', async () => {
    hec = await startFakeHec({ maxContentLength: 700 });
    const items = Array.from({ length: 8 }, (_, i) => anItem(`item-${i}`, { pad: 'x'.repeat(100) }));
    const outcomes = await new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, gzip: false }).export(items);
    expect(outcomes.every((outcome) => outcome.kind === 'delivered')).toBe(true);
    expect(new Set(hec.events.map((event) => (event.event as { event_id: string }).event_id)).size).toBe(8);
  });

  it.each([
    ['an unknown token', (h: FakeHec) => h, 'not-a-token', 'hec_invalid_token'],
    ['a disabled token', (h: FakeHec) => (h.disableToken(FAKE_HEC_TOKEN), h), FAKE_HEC_TOKEN, 'hec_token_disabled'],
  ])('raises a configuration failure for %s (the sink pauses, nothing is dropped)', async (_, prepare, token, errorClass) => {
    hec = await startFakeHec();
    prepare(hec);
    const failure = await new SplunkHecExporter({ url: hec.url, token }).export([anItem('a')]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SinkConfigurationError);
    expect((failure as SinkConfigurationError).errorClass).toBe(errorClass);
  });

  it('raises a configuration failure for an index the token may not write', async () => {
    hec = await startFakeHec({ indexes: ['telemetry'] });
    const failure = await new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN, index: 'secret' })
      .export([anItem('a')])
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ errorClass: 'hec_incorrect_index' });
  });

  it('reports HEC health', async () => {
    hec = await startFakeHec();
    expect(await new SplunkHecExporter({ url: hec.url, token: FAKE_HEC_TOKEN }).health()).toMatchObject({ ok: true });
  });
});

async function waitForCondition(condition: () => boolean): Promise<void> {
  const { waitFor } = await import('@telemetry/testing');
  await waitFor(() => condition(), { timeoutMs: 10_000, intervalMs: 10 });
}
