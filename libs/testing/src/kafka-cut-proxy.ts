import * as net from 'node:net';

/** Kafka API keys the proxy looks at (the Kafka protocol's numbers). */
const PRODUCE = 0;
const METADATA = 3;
const FIND_COORDINATOR = 10;

/** How the proxy cuts at its trigger: before the request reaches the broker, or after the broker wrote it and before its answer returns. */
export type CutMode = 'drop-request' | 'drop-response';

/**
 * A TCP proxy between Kafka clients and one real broker that a test cuts at a chosen produce
 * request, for "the broker went away mid-batch". It forwards whole protocol frames, counts produce
 * requests per topic, and rewrites the broker's own address in Metadata and FindCoordinator answers
 * to the proxy's, so clients keep talking through it. Cut, it destroys every connection and stops
 * listening (clients get "connection refused", as from a broker that is down); `restore` listens
 * again on the same port.
 *
 * It understands the non-flexible versions kafkajs uses (Produce ≤ v8, Metadata ≤ v8,
 * FindCoordinator ≤ v2).
 */
export interface KafkaCutProxy {
  /** The proxy's bootstrap address, for KAFKA_BROKERS. */
  readonly brokers: string;
  /** Produce requests for `topic` forwarded to the broker so far. */
  produceRequests(topic: string): number;
  /**
   * Lets `count` more produce requests for `topic` through, and cuts at the next one: 'drop-request'
   * cuts before forwarding it (it is not written), 'drop-response' forwards it and cuts when the
   * broker answers (it is written, the client never learns). Resolves when the cut happened.
   */
  cutAfterProduceRequests(topic: string, count: number, mode?: CutMode): Promise<void>;
  /** Cuts now. */
  cut(): Promise<void>;
  /** Listens again (same port); clients reconnect by themselves. */
  restore(): Promise<void>;
  readonly isCut: boolean;
  close(): Promise<void>;
}

interface Trigger {
  readonly topic: string;
  remaining: number;
  readonly mode: CutMode;
  readonly fired: () => void;
}

export async function startKafkaCutProxy(target: string): Promise<KafkaCutProxy> {
  const [targetHost, targetPortText] = splitAddress(target);
  const targetPort = Number(targetPortText);
  const sockets = new Set<net.Socket>();
  const produced = new Map<string, number>();
  let trigger: Trigger | undefined;
  let server: net.Server | undefined;
  let port = 0;
  let cut = false;

  const cutNow = async (): Promise<void> => {
    cut = true;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    const listening = server;
    server = undefined;
    if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
  };

  const onConnection = (client: net.Socket): void => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    /** API key and version of each request in flight on this connection, by correlation id. */
    const inFlight = new Map<number, { apiKey: number; apiVersion: number }>();
    let dropResponseTo: number | undefined;
    let onDroppedResponse: (() => void) | undefined;

    client.on(
      'data',
      frames((frame) => {
        const apiKey = frame.readInt16BE(4);
        const apiVersion = frame.readInt16BE(6);
        const correlationId = frame.readInt32BE(8);
        inFlight.set(correlationId, { apiKey, apiVersion });
        if (apiKey === PRODUCE) {
          const topic = produceTopic(frame);
          if (trigger && topic === trigger.topic) {
            if (trigger.remaining === 0) {
              const fired = trigger;
              trigger = undefined;
              if (fired.mode === 'drop-request') {
                void cutNow().then(fired.fired);
                return;
              }
              dropResponseTo = correlationId;
              onDroppedResponse = fired.fired;
            } else {
              trigger.remaining -= 1;
            }
          }
          if (topic !== undefined) produced.set(topic, (produced.get(topic) ?? 0) + 1);
        }
        upstream.write(frame);
      }),
    );
    upstream.on(
      'data',
      frames((frame) => {
        const correlationId = frame.readInt32BE(4);
        const request = inFlight.get(correlationId);
        inFlight.delete(correlationId);
        if (correlationId === dropResponseTo) {
          void cutNow().then(onDroppedResponse);
          return;
        }
        if (request?.apiKey === METADATA) rewriteMetadataPorts(frame, request.apiVersion, targetPort, port);
        if (request?.apiKey === FIND_COORDINATOR) rewriteCoordinatorPort(frame, request.apiVersion, targetPort, port);
        client.write(frame);
      }),
    );
  };

  const listen = async (): Promise<void> => {
    const next = net.createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    port = (next.address() as net.AddressInfo).port;
    server = next;
    cut = false;
  };
  await listen();

  return {
    brokers: `127.0.0.1:${port}`,
    produceRequests: (topic) => produced.get(topic) ?? 0,
    cutAfterProduceRequests: (topic, count, mode = 'drop-request') =>
      new Promise<void>((resolve) => {
        trigger = { topic, remaining: count, mode, fired: resolve };
      }),
    cut: cutNow,
    restore: async () => {
      if (server) return;
      await listen();
    },
    get isCut() {
      return cut;
    },
    close: async () => {
      trigger = undefined;
      await cutNow();
    },
  };
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}

/** A 'data' listener that hands over whole size-prefixed Kafka frames (size included). */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (buffered.length < 4 + size) break;
      const frame = Buffer.from(buffered.subarray(0, 4 + size));
      buffered = buffered.subarray(4 + size);
      onFrame(frame);
    }
  };
}

/** The first topic of a Produce request (v3–v8: header v1, then transactional id, acks, timeout, topics). */
function produceTopic(frame: Buffer): string | undefined {
  let at = 12;
  const clientIdLength = frame.readInt16BE(at);
  at += 2 + Math.max(0, clientIdLength);
  const apiVersion = frame.readInt16BE(6);
  if (apiVersion >= 9) return undefined; // flexible versions: not used by kafkajs
  if (apiVersion >= 3) {
    const transactionalIdLength = frame.readInt16BE(at);
    at += 2 + Math.max(0, transactionalIdLength);
  }
  at += 2 + 4; // acks, timeout
  const topics = frame.readInt32BE(at);
  at += 4;
  if (topics < 1) return undefined;
  const nameLength = frame.readInt16BE(at);
  return frame.toString('utf8', at + 2, at + 2 + nameLength);
}

/** Metadata v1–v8 answers (header v0): [throttle (v3+)] brokers [node_id host port rack]. */
function rewriteMetadataPorts(frame: Buffer, apiVersion: number, from: number, to: number): void {
  if (apiVersion >= 9) return;
  let at = 8;
  if (apiVersion >= 3) at += 4;
  const brokers = frame.readInt32BE(at);
  at += 4;
  for (let i = 0; i < brokers; i += 1) {
    at += 4; // node_id
    at += 2 + frame.readInt16BE(at); // host
    if (frame.readInt32BE(at) === from) frame.writeInt32BE(to, at);
    at += 4;
    if (apiVersion >= 1) at += 2 + Math.max(0, frame.readInt16BE(at)); // rack (nullable)
  }
}

/** FindCoordinator v0–v2 answers: [throttle, (v1+)] error_code, [error_message (v1+)], node_id, host, port. */
function rewriteCoordinatorPort(frame: Buffer, apiVersion: number, from: number, to: number): void {
  if (apiVersion >= 3) return;
  let at = 8;
  if (apiVersion >= 1) at += 4;
  at += 2; // error_code
  if (apiVersion >= 1) at += 2 + Math.max(0, frame.readInt16BE(at));
  at += 4; // node_id
  at += 2 + frame.readInt16BE(at);
  if (frame.readInt32BE(at) === from) frame.writeInt32BE(to, at);
}
