import { DynamicModule, INestApplication, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import * as express from 'express';
import { AppConfig } from './app.config';
import { EVENT_LOG_TRANSPORT, EventLogTransport, startTracing } from '@telemetry/platform';

/**
 * Body parsing and common headers of every HTTP app. Ingest routes read their raw body themselves
 * (limits, gzip, JSON Lines), so Express's JSON parser only runs on the other routes.
 */
export function configureHttpPipeline(app: INestApplication): void {
  const json = express.json({ limit: '1mb' });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    if (request.path.startsWith('/v1/ingest')) return next();
    return json(request, response, next);
  });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    response.setHeader('X-API-Version', 'v1');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.enableShutdownHooks();
}

/**
 * Creates and starts an HTTP app. Ingest routes read their raw body themselves (limits, gzip,
 * JSON Lines), so Express's JSON parser only runs on the other routes.
 */
export async function createHttpApp(module: Type<unknown> | DynamicModule, config: AppConfig, options: { listen?: boolean } = {}): Promise<INestApplication> {
  const tracing = startTracing(config.appName, config.otlpTracesUrl);
  const app = await NestFactory.create(module, { bodyParser: false, logger: config.logLevels });
  if (tracing) {
    // Flush the last spans after the app has stopped its consumers.
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await tracing.shutdown();
    };
  }
  configureHttpPipeline(app);
  // The consumers: every @EventPattern handler of the app's modules, over the event log.
  app.connectMicroservice({ strategy: app.get<EventLogTransport>(EVENT_LOG_TRANSPORT) });
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
  // Lifecycle hooks first (topics the consumers read are created there), then the consumers.
  await app.init();
  await app.startAllMicroservices();
  if (options.listen ?? true) {
    await app.listen(config.port, config.host);
    const logger = new Logger(config.appName);
    logger.log(`listening on http://${config.host}:${config.port} (event log: ${config.runtime.eventLog.kind}, store: ${config.runtime.database.kind})`);
    if (config.usingDefaultKey) {
      logger.warn(`No API_KEY or TELEMETRY_SEED_KEYS set: the embedded default key "TEST_KEY" is active. Set API_KEY before exposing this port.`);
    }
  }
  return app;
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
