import * as net from 'node:net';

/**
 * A raw HTTP/1.1 client over a `net` socket, for what supertest cannot do: pause between body chunks,
 * stall, half-close, send malformed bytes. It reports the answer as the server wrote it and whether,
 * and when, the server closed the connection.
 */

/** One thing the client does, `afterMs` after the previous step. */
export interface ClientStep {
  readonly afterMs?: number;
  readonly write?: Buffer | string;
  /** Half-close: the client's side ends (FIN) after this step's write, as `shutdown(SHUT_WR)` does. */
  readonly end?: boolean;
}

export interface RawExchange {
  /** Undefined when the server answered nothing. */
  readonly status?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json?: Record<string, unknown>;
  /** True when the server closed the connection before `closeWithinMs` ran out. */
  readonly closedByServer: boolean;
  /** Milliseconds from the first write to the server's close (or to giving up). */
  readonly elapsedMs: number;
  /** A socket error the client saw (ECONNRESET, EPIPE), if any. */
  readonly socketError?: string;
}

/**
 * Runs the steps on a fresh connection and resolves when the server closes it, or `closeWithinMs`
 * after the last step (then `closedByServer` is false). Steps stop once the server has closed.
 */
export function exchange(port: number, steps: readonly ClientStep[], options: { closeWithinMs?: number; untilAnswered?: boolean } = {}): Promise<RawExchange> {
  const closeWithinMs = options.closeWithinMs ?? 10_000;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let socketError: string | undefined;
    let started = 0;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(received)), closedByServer, elapsedMs: Date.now() - started, socketError });
    };
    socket.on('data', (data: Buffer) => {
      received.push(data);
      // With untilAnswered, a whole answer is enough: the connection may stay open (keep-alive).
      if (options.untilAnswered && isComplete(Buffer.concat(received))) finish(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      socketError = error.code ?? error.message;
    });
    socket.on('close', () => finish(true));
    socket.once('connect', () => {
      started = Date.now();
      let at = 0;
      for (const step of steps) {
        at += step.afterMs ?? 0;
        timers.push(
          setTimeout(() => {
            if (settled || socket.destroyed || !socket.writable) return;
            if (step.write !== undefined) socket.write(step.write);
            if (step.end) socket.end();
          }, at),
        );
      }
      timers.push(setTimeout(() => finish(false), at + closeWithinMs));
    });
  });
}

/** One chunk of a `Transfer-Encoding: chunked` body. */
export function chunk(data: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

/** The last chunk of a chunked body. */
export const LAST_CHUNK = '0\r\n\r\n';

/** A request head; `headers` are sent as given, in order. */
export function requestHead(method: string, path: string, headers: Readonly<Record<string, string>>): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

function isComplete(raw: Buffer): boolean {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.subarray(0, headEnd).toString('latin1'));
  return length !== null && raw.length - (headEnd + 4) >= Number(length[1]);
}

function parseResponse(raw: Buffer): Pick<RawExchange, 'status' | 'headers' | 'text' | 'json'> {
  const text = raw.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.1 ') || headEnd === -1) return { headers: {}, text };
  const [statusLine, ...headerLines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const bodyBytes = raw.subarray(Buffer.byteLength(text.slice(0, headEnd + 4)));
  const body = (length !== undefined ? bodyBytes.subarray(0, length) : bodyBytes).toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: body, json };
}
