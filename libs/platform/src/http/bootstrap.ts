import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { DynamicModule, INestApplication, Logger, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import * as express from 'express';
import { PlatformConfig, HttpTimeoutsConfig } from '../config/platform.config';
import { EVENT_LOG_TRANSPORT, EventLogTransport } from '../consumers/event-log.transport';
import { startTracing } from '../tracing';

/** The JSON body limit of the routes Express parses (every route but ingest). */
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * A request body the JSON parser refused, with its stable code; the one exception filter answers
 * `{error: code, message, ...details}` with `status`.
 */
export class RequestBodyError extends Error {
  constructor(
    readonly code: 'payload_too_large' | 'unsupported_encoding' | 'unsupported_charset' | 'invalid_json' | 'decompress_failed' | 'request_aborted',
    message: string,
    readonly status: number,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

/** The Content-Encodings Express's parser inflates (zstd where this Node has it). */
const JSON_ENCODINGS = ['identity', 'gzip', 'deflate', 'br', ...('createZstdDecompress' in zlib ? ['zstd'] : [])];

/**
 * Classifies what body-parser (or raw-body, or zlib under it) passes on: a failure to read the
 * client's body is the client's, with a stable code, never a 500. `type` is body-parser's own
 * vocabulary. Anything else (a misconfigured parser, a bug) is returned unchanged and stays a 500.
 */
export function requestBodyErrorOf(error: unknown): unknown {
  const failure = (error ?? {}) as {
    type?: unknown;
    status?: unknown;
    code?: unknown;
    message?: unknown;
    length?: unknown;
    received?: unknown;
    encoding?: unknown;
    charset?: unknown;
  };
  const detail = typeof failure.message === 'string' ? failure.message : String(error);
  switch (failure.type) {
    case 'entity.too.large': {
      const declared = typeof failure.length === 'number' ? failure.length : undefined;
      return new RequestBodyError('payload_too_large', `Body exceeds ${JSON_BODY_LIMIT_BYTES} bytes`, 413, {
        limit_bytes: JSON_BODY_LIMIT_BYTES,
        ...(declared !== undefined ? { actual_bytes: declared } : { actual_bytes: failure.received, actual_is_lower_bound: true }),
      });
    }
    case 'encoding.unsupported':
      return new RequestBodyError(
        'unsupported_encoding',
        `Content-Encoding "${String(failure.encoding)}" is not supported; use one of ${JSON_ENCODINGS.join(', ')}`,
        415,
        {
          content_encoding: failure.encoding,
          supported: JSON_ENCODINGS,
        },
      );
    case 'charset.unsupported':
      return new RequestBodyError('unsupported_charset', `Charset "${String(failure.charset)}" is not supported; send JSON as UTF-8`, 415, {
        charset: failure.charset,
        supported: ['utf-8'],
      });
    case 'entity.parse.failed':
    case 'request.size.invalid':
      return new RequestBodyError('invalid_json', `Body is not valid JSON: ${detail}`, 400, { detail });
    case 'request.aborted':
      return new RequestBodyError('request_aborted', 'The client closed the request before its body ended', 400);
  }
  // zlib's own errors, which body-parser passes on as 400: corrupt or truncated gzip/deflate
  // (Z_DATA_ERROR, Z_BUF_ERROR), brotli (ERR__ERROR_FORMAT_…), zstd (ZSTD_error_…).
  if (typeof failure.code === 'string' && /^(Z_|ERR__|ZSTD_)/.test(failure.code)) {
    return new RequestBodyError('decompress_failed', `Body could not be decompressed: ${detail}`, 400, { detail });
  }
  if (typeof failure.status === 'number' && failure.status >= 400 && failure.status < 500) {
    return new RequestBodyError('invalid_json', `Body could not be read as JSON: ${detail}`, 400, { detail });
  }
  return error;
}

/**
 * Body parsing and common headers of every HTTP app. Ingest routes read their raw body themselves
 * (limits, gzip, JSON Lines), so Express's JSON parser only runs on the other routes; what it
 * refuses is classified here, once, as a RequestBodyError.
 */
export function configureHttpPipeline(app: INestApplication): void {
  const json = express.json({ limit: JSON_BODY_LIMIT_BYTES });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    if (request.path.startsWith('/v1/ingest')) return next();
    const classified = (error?: unknown) => next(error === undefined ? undefined : requestBodyErrorOf(error));
    try {
      return json(request, response, classified);
    } catch (error) {
      return classified(error);
    }
  });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    response.setHeader('X-API-Version', 'v1');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.enableShutdownHooks();
}

/**
 * Creates and starts an HTTP app on a Node HTTP server with the configured timeouts. Ingest routes
 * read their raw body themselves (limits, gzip, JSON Lines), so Express's JSON parser only runs on
 * the other routes.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  config: PlatformConfig,
  options: { listen?: boolean } = {},
): Promise<INestApplication> {
  const tracing = startTracing(config.appName, config.otlpTracesUrl);
  const app = await NestFactory.create(module, new TimedExpressAdapter(config.http), { bodyParser: false, logger: config.logLevels });
  if (tracing) {
    // Flush the last spans after the app has stopped its consumers.
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await tracing.shutdown();
    };
  }
  configureHttpPipeline(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Telemetry API')
      .setDescription('Network telemetry enrichment: ingest NetFlow/IPFIX and Zeek flows, enrich with GeoIP, ASN, threat intel and a risk score.')
      .setVersion(config.version.version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  await startEventLogConsumers(app);
  if (options.listen ?? true) {
    await app.listen(config.port, config.host);
    const logger = new Logger(config.appName);
    logger.log(`listening on http://${config.host}:${config.port} (event log: ${config.runtime.eventLog.kind}, store: ${config.runtime.database.kind})`);
  }
  return app;
}

/**
 * Starts the app's consumers: every @EventPattern handler of its modules, on the event-log
 * transport beside the HTTP server. Lifecycle hooks run first (topics the consumers read are
 * created there), then the consumers subscribe.
 */
export async function startEventLogConsumers(app: INestApplication): Promise<void> {
  app.connectMicroservice({ strategy: app.get<EventLogTransport>(EVENT_LOG_TRANSPORT) });
  await app.init();
  await app.startAllMicroservices();
}

/**
 * Express under a Node HTTP server with the configured timeouts: a client that is slow with its
 * headers or its body gets 408 `request_timeout` and the connection closes, instead of holding it.
 */
class TimedExpressAdapter extends ExpressAdapter {
  constructor(private readonly timeouts: HttpTimeoutsConfig) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions || options.forceCloseConnections) {
      super.initHttpServer(options);
    } else {
      // Created here because the checking interval can only be given to the constructor.
      this.setHttpServer(http.createServer({ connectionsCheckingInterval: checkingIntervalOf(this.timeouts) }, this.getInstance()));
    }
    applyHttpTimeouts(this.getHttpServer() as http.Server, this.timeouts);
  }
}

/** Node checks the headers and request timeouts on an interval (30 s by default): a fraction of the shortest. */
function checkingIntervalOf(timeouts: HttpTimeoutsConfig): number {
  return Math.min(30_000, Math.max(50, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4)));
}

/** Which response, if any, a connection is answering: a clientError may only answer when none has started. */
const RESPONSES = new WeakMap<Duplex, http.ServerResponse>();

function applyHttpTimeouts(server: http.Server, timeouts: HttpTimeoutsConfig): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // A client may half-close its side once its request is sent (shutdown(SHUT_WR), `socket.end()`),
  // as HTTP/1.1 allows. Node's default then aborts the request and closes the connection before the
  // answer is written: the client got no answer at all. Kept open, the answer goes out, then it closes.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    RESPONSES.set(request.socket, response);
    response.once('close', () => {
      if (RESPONSES.get(request.socket) === response) RESPONSES.delete(request.socket);
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, timeouts));
}

/**
 * What Node's HTTP parser and timers refuse before (or while) Express has the request: answered
 * with the same `{error, message}` JSON as everything else, then the connection closes.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, timeouts: HttpTimeoutsConfig): void {
  const started = RESPONSES.get(socket)?.headersSent ?? false;
  if (!socket.writable || started || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
    socket.destroy();
    return;
  }
  const [status, body] = clientErrorAnswer(error, timeouts);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
      'X-API-Version: v1\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      payload,
  );
  // Whatever the client still sends is not read: close once the answer is written.
  socket.once('finish', () => socket.destroy());
}

function clientErrorAnswer(error: NodeJS.ErrnoException, timeouts: HttpTimeoutsConfig): [number, Record<string, unknown>] {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        {
          error: 'request_timeout',
          message: `The request was not received in time: headers within ${timeouts.headersTimeoutMs} ms, the whole request within ${timeouts.requestTimeoutMs} ms`,
          headers_timeout_ms: timeouts.headersTimeoutMs,
          request_timeout_ms: timeouts.requestTimeoutMs,
        },
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [431, { error: 'headers_too_large', message: 'The request headers are too large' }];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, { error: 'payload_too_large', message: 'The chunk extensions of the request body are too large' }];
    default:
      return [400, { error: 'bad_request', message: `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`, reason: error.code }];
  }
}

/** Runs a main: configuration errors are listed and the process refuses to boot. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    const logger = new Logger('main');
    logger.error(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.stack && !(error as { problems?: unknown }).problems) logger.error(error.stack);
    process.exit(1);
  });
}
