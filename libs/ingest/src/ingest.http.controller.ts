import { createHash } from 'node:crypto';
import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedRequest, RequireScope, TENANT_DIRECTORY, TenantDirectory } from '@telemetry/auth';
import { identifierProblem, IngressFormat } from '@telemetry/contracts';
import { extractContext, inSpan, SpanKind, traceparentOf } from '@telemetry/platform';
import { readBody } from './body-reader';
import { parseBatch } from './batch-parser';
import { IngestError } from './ingest-error';
import { DEFAULT_INGEST_LIMITS, IngestLimits } from './ingest-limits';
import { IngestPublishError, IngestResult, IngestService } from './ingest.service';
import { IngestEndpointDocs } from './ingest.openapi';
import { IDEMPOTENCY_STORE, INGEST_LIMITS } from './ingest.tokens';
import type { IdempotencyStore } from '@telemetry/persistence';
import { IngestMetrics } from './ingest.metrics';
import { TenantQuotaError, TenantQuotaGate } from './tenant-quota.gate';

@ApiTags('ingest')
@ApiBearerAuth()
@RequireScope('ingest')
@Controller('v1/ingest')
export class IngestHttpController {
  private readonly logger = new Logger('ingest');

  constructor(
    private readonly ingestService: IngestService,
    private readonly metrics: IngestMetrics,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(TENANT_DIRECTORY) private readonly tenants: TenantDirectory,
    private readonly quotaGate: TenantQuotaGate,
    @Inject(INGEST_LIMITS) private readonly limits: IngestLimits = DEFAULT_INGEST_LIMITS,
  ) {}

  @Post()
  @HttpCode(202)
  @IngestEndpointDocs('Ingest a batch; the envelope names its format (default flows.v1)')
  ingestEnvelope(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.handle('ingest', request, response, 'flows.v1', false);
  }

  @Post('bulk')
  @HttpCode(202)
  @IngestEndpointDocs('Ingest a batch of any format; the envelope names its format (`format` or `type`, default flows.v1)')
  ingestBulk(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.handle('bulk', request, response, 'flows.v1', false);
  }

  @Post('zeek')
  @HttpCode(202)
  @IngestEndpointDocs('Ingest Zeek conn.log JSON records')
  ingestZeek(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.handle('zeek', request, response, 'zeek.conn', true);
  }

  @Post('netflow')
  @HttpCode(202)
  @IngestEndpointDocs('Ingest NetFlow/IPFIX JSON (flows.v1) records')
  ingestNetflow(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.handle('netflow', request, response, 'flows.v1', true);
  }

  private handle(endpoint: string, request: Request, response: Response, format: IngressFormat, formatFixed: boolean): Promise<void> {
    return inSpan(
      `POST ${request.path}`,
      { kind: SpanKind.SERVER, parent: extractContext(request.headers), attributes: { 'http.route': request.path, 'telemetry.endpoint': endpoint } },
      (span) => this.accept(endpoint, request, response, format, formatFixed, traceparentOf(span)),
    );
  }

  private async accept(
    endpoint: string,
    request: Request,
    response: Response,
    format: IngressFormat,
    formatFixed: boolean,
    traceparent: string | undefined,
  ): Promise<void> {
    const receivedAt = new Date();
    const tenantId = (request as unknown as AuthenticatedRequest).principal?.tenantId ?? 'default';
    const idempotencyKey = readIdempotencyKey(request.headers['idempotency-key']);
    const quotas = this.tenants.quotasOf(tenantId);
    const leave = this.withQuota(tenantId, 'in_flight', () => this.quotaGate.enter(tenantId, quotas));
    let claimed = false;
    let alreadyWritten = 0;
    /** Accepted records durable once the publish resolved: a failure after it must not free the key. */
    let writtenAll = 0;
    try {
      const body = await readBody(
        request,
        { contentLength: request.headers['content-length'], contentEncoding: request.headers['content-encoding'] },
        this.limits,
      );
      if (idempotencyKey !== undefined) {
        const outcome = await this.idempotency.begin(tenantId, idempotencyKey, requestHash(request.path, body));
        if (outcome.kind === 'replay') {
          this.metrics.requests.inc({ endpoint, status: 'replayed' });
          response.status(outcome.statusCode).setHeader('Idempotent-Replayed', 'true').type('application/json').send(outcome.response);
          return;
        }
        if (outcome.kind === 'conflict') {
          throw new IngestError('idempotency_key_reused', 'This Idempotency-Key was used with a different request in the last 24 h; use a new key', {
            field: 'Idempotency-Key',
          });
        }
        if (outcome.kind === 'in_progress') {
          response.setHeader('Retry-After', '1');
          throw new IngestError('idempotency_key_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly', {
            field: 'Idempotency-Key',
            retry_after: 1,
          });
        }
        // A retry of a batch that stopped midway: only what was not written yet is published.
        if (outcome.kind === 'resume') alreadyWritten = outcome.writtenRecords;
        claimed = true;
      }
      const batch = parseBatch(body, format, this.limits);
      if (formatFixed && batch.formatDeclared && batch.format !== format) {
        throw new IngestError('format_mismatch', `This endpoint takes ${format} records; the envelope says ${batch.format}`, {
          field: 'format',
          expected: format,
        });
      }
      if (quotas?.batch_max !== undefined && batch.records.length > quotas.batch_max) {
        this.metrics.quotaRejections.inc({ tenant: tenantId, reason: 'batch_max' });
        throw new IngestError('too_many_records', `Batch has ${batch.records.length} records; this tenant's limit is ${quotas.batch_max}`, {
          limit: quotas.batch_max,
          observed: batch.records.length,
        });
      }
      this.withQuota(tenantId, 'records_per_second', () => this.quotaGate.takeRecords(tenantId, batch.records.length, quotas));
      const collectorHeader = request.headers['x-collector-id'];
      const headerProblem = typeof collectorHeader === 'string' && collectorHeader ? identifierProblem(collectorHeader, 'Header X-Collector-Id') : null;
      if (headerProblem) throw new IngestError('invalid_header', headerProblem, { field: 'X-Collector-Id' });
      const key = claimed ? idempotencyKey : undefined;
      const result = await this.ingestService.ingest(
        {
          tenantId,
          collectorId: batch.collectorId ?? (typeof collectorHeader === 'string' && collectorHeader ? collectorHeader : undefined),
          format: batch.format,
          records: batch.records,
          // This request's span when tracing is on, else the caller's own trace context, travels on with each record.
          traceparent: traceparent ?? (typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined),
          receivedAt,
          alreadyWritten,
        },
        // Each acknowledged chunk counted under the key, so a crash from here on does not publish it again.
        key === undefined ? undefined : (written) => this.idempotency.recordProgress(tenantId, key, written).catch(() => undefined),
      );
      writtenAll = result.accepted;
      const status = statusOf(result);
      const answer = JSON.stringify(answerOf(result));
      if (claimed && idempotencyKey !== undefined) {
        // Stored before answering: a retry after a lost response gets this answer, not a second publish.
        await this.idempotency.complete(tenantId, idempotencyKey, status, answer);
        claimed = false;
      }
      this.metrics.records.inc({ format: batch.format, outcome: 'accepted' }, result.accepted);
      this.metrics.records.inc({ format: batch.format, outcome: 'rejected' }, result.rejected);
      this.metrics.requests.inc({ endpoint, status: String(status) });
      response.status(status).type('application/json').send(answer);
    } catch (error) {
      if (error instanceof IngestPublishError) {
        // Part of the batch may be durable: keep the key with what was written, and say exactly what that is.
        if (claimed && idempotencyKey !== undefined) await this.keepProgress(tenantId, idempotencyKey, error);
        this.logger.warn(`${error.message} (${error.written} of ${error.result.accepted} accepted records written, ${error.unknown} open)`);
        this.metrics.requests.inc({ endpoint, status: 'error' });
        if (response.headersSent || response.destroyed) return; // the client left: no one to answer
        response
          .status(503)
          .setHeader('Retry-After', String(RETRY_AFTER_SECONDS))
          .type('application/json')
          .send(JSON.stringify(partialWriteAnswer(error, claimed)));
        return;
      }
      if (claimed && idempotencyKey !== undefined) {
        // Nothing (more) was published for this request: free the key, or keep what an earlier request wrote.
        await this.idempotency.abandon(tenantId, idempotencyKey, writtenAll).catch(() => undefined);
      }
      if (error instanceof IngestError && (error.code === 'batch_too_large' || error.code === 'request_timeout')) {
        // The body was not read to its end: discard what still arrives instead of destroying the
        // socket, so the client receives the answer (which says Connection: close).
        request.resume();
      }
      this.metrics.requests.inc({ endpoint, status: 'error' });
      throw error;
    } finally {
      leave();
    }
  }

  /** Runs a quota check, counting a refusal by tenant and reason before it reaches the error filter. */
  private withQuota<T>(tenantId: string, reason: 'in_flight' | 'records_per_second', check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof TenantQuotaError) this.metrics.quotaRejections.inc({ tenant: tenantId, reason });
      throw error;
    }
  }

  /**
   * Keeps a claimed key with what its batch got written. With a chunk whose outcome is open the key
   * stays claimed (a retry gets 409 in progress) until the event log knows: then the batch is either
   * complete (its answer stored, a retry replays it) or partial with the count, and a retry resumes.
   */
  private async keepProgress(tenantId: string, key: string, error: IngestPublishError): Promise<void> {
    if (error.unknown === 0 || !error.outcome) {
      await this.idempotency.abandon(tenantId, key, error.written).catch(() => undefined);
      return;
    }
    await this.idempotency.recordProgress(tenantId, key, error.written).catch(() => undefined);
    const { result } = error;
    void error.outcome
      .then((landed) => {
        const written = error.written + (landed ? error.unknown : 0);
        return written >= result.accepted
          ? this.idempotency.complete(tenantId, key, statusOf(result), JSON.stringify(answerOf(result)))
          : this.idempotency.abandon(tenantId, key, written);
      })
      .catch(() => undefined);
  }
}

/** What a 503 asks a client to wait, as the error filter's backpressure answer does. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The 503 of a batch the event log stopped acknowledging partway: which request records are durable,
 * which were handed over with an open outcome, and whether a retry with the same key is safe.
 */
function partialWriteAnswer(error: IngestPublishError, underKey: boolean): Record<string, unknown> {
  const { result, written, unknown } = error;
  const notSent = result.accepted - written - unknown;
  const open = unknown > 0 ? `, ${unknown} were sent and may or may not be written (the event log has not said yet)` : '';
  const what =
    written > 0
      ? `The event log stopped acknowledging partway: ${written} of the ${result.accepted} accepted records are written${open}.`
      : `The event log is not accepting records right now: none of the ${result.accepted} accepted records is confirmed written${open}.`;
  return {
    error: written > 0 ? 'partially_written' : 'backpressure',
    message: underKey
      ? `${what} Retrying with the same Idempotency-Key and body is safe: only the records not written yet are published.`
      : `${what} Without an Idempotency-Key a retry publishes every record again; resend only the records outside written_ranges.`,
    retry_after: RETRY_AFTER_SECONDS,
    retry_safe: underKey,
    total: result.total,
    accepted: result.accepted,
    rejected: result.rejected,
    written,
    written_ranges: error.writtenRanges(),
    outcome_unknown: unknown,
    outcome_unknown_ranges: error.unknownRanges(),
    not_written: notSent,
  };
}

/** Printable ASCII, 1 to 255 characters, as the IETF Idempotency-Key draft and Stripe use it. */
function readIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new IngestError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces', {
      field: 'Idempotency-Key',
    });
  }
  return value;
}

/** What "the same request" means for a key: the same endpoint and the same (inflated) body. */
function requestHash(path: string, body: Buffer): string {
  return createHash('sha256').update(path).update('\0').update(body).digest('hex');
}

/**
 * The response body: the result, and when no record was accepted (422) also the top-level `error`
 * code and a human `message` every other error answer has, so a client that reads only those sees why.
 */
function answerOf(result: IngestResult): IngestResult | (IngestResult & { error: string; message: string }) {
  if (result.accepted > 0 || result.rejected === 0) return result;
  const first = result.errors[0];
  const example = first ? `; the first: record ${first.index}, field ${first.field}: ${first.message}` : '';
  return { error: 'all_records_rejected', message: `None of the ${result.total} record(s) was accepted, see errors${example}`, ...result };
}

function statusOf(result: IngestResult): number {
  if (result.rejected === 0) return 202;
  return result.accepted === 0 ? 422 : 207;
}
