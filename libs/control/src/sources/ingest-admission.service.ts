import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AdmissionRequest, AdmissionVerdict, IngestAdmission } from '@telemetry/contracts';
import { METRICS_REGISTRY, TokenBuckets } from '@telemetry/platform';
import { Counter, Registry } from 'prom-client';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { ControlPlaneService } from '../control-plane.service';
import { FeatureFlagsService } from '../flags/feature-flags.http.controller';
import { clientAddressOf, decideAdmission } from './ingest-admission';

/** At most one audit entry per (tenant, source, reason, log-only) per process in this window; the metrics count every one. */
const AUDIT_WINDOW_MS = 60_000;

/**
 * Admission at ingest in this process: reads the folded sources and the flags in effect, keeps the
 * per-source token buckets (per process: each runs at max_eps / INGEST_REPLICAS), counts every
 * decision, logs and audits the blocks (throttled, so a flood of refused requests is not a flood of
 * control events).
 */
@Injectable()
export class IngestAdmissionService implements IngestAdmission {
  private readonly logger = new Logger('admission');
  private readonly buckets = new TokenBuckets();
  private readonly lastAudit = new Map<string, number>();
  private readonly decisions: Counter<'transport' | 'reason' | 'outcome'>;
  private readonly blockedSources: Counter<'tenant' | 'source' | 'reason'>;
  private readonly blockedIps: Counter;

  constructor(
    private readonly control: ControlPlaneService,
    private readonly flags: FeatureFlagsService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.decisions = new Counter({
      name: 'telemetry_admission_decisions_total',
      help: 'Ingest admission decisions, by transport, reason (allowed, disabled, ip_not_allowed, rate_limit) and outcome (admitted, blocked, log_only).',
      labelNames: ['transport', 'reason', 'outcome'],
      registers: [registry],
    });
    // The original's name. Its labels are bounded by the registered sources.
    this.blockedSources = new Counter({
      name: 'telemetry_blocked_source_total',
      help: 'Ingest requests a source refused (or would have, under ADMISSION_LOG_ONLY), by tenant, source and reason.',
      labelNames: ['tenant', 'source', 'reason'],
      registers: [registry],
    });
    this.blockedIps = new Counter({
      name: 'telemetry_http_blocked_ip_total',
      help: 'HTTP ingest requests refused because the client address is outside the source’s allowed_ips (the original’s name).',
      registers: [registry],
    });
  }

  failOpen(): boolean {
    return this.flags.current().ADMISSION_FAIL_OPEN;
  }

  admit(request: AdmissionRequest): AdmissionVerdict {
    const flags = this.flags.current();
    const sources = this.control.state.sources;
    const ref = request.sourceRef;
    const source = ref === undefined ? undefined : (sources.source(request.tenantId, ref) ?? sources.sourceByCollector(request.tenantId, ref));
    const clientIp = clientAddressOf(request.peerAddress, request.forwardedFor, this.config.trustedProxies ?? [], flags.HTTP_TRUST_XFF);
    const verdict = decideAdmission({
      request,
      source,
      flags,
      clientIp,
      take: (rate) => this.buckets.take(`${request.tenantId}/${source?.sourceId ?? ''}`, rate, request.records),
      replicas: this.config.ingestReplicas ?? 1,
    });
    const outcome = verdict.reason === 'allowed' ? 'admitted' : verdict.logOnly ? 'log_only' : 'blocked';
    this.decisions.inc({ transport: request.transport, reason: verdict.reason, outcome });
    if (verdict.reason !== 'allowed' && source) {
      this.blockedSources.inc({ tenant: request.tenantId, source: source.sourceId, reason: verdict.reason });
      if (verdict.reason === 'ip_not_allowed' && request.transport === 'http') this.blockedIps.inc();
      this.report(request, verdict, source.sourceId);
    }
    return verdict;
  }

  private report(request: AdmissionRequest, verdict: AdmissionVerdict, sourceId: string): void {
    const key = `${request.tenantId}\n${sourceId}\n${verdict.reason}\n${verdict.logOnly}`;
    const now = Date.now();
    const last = this.lastAudit.get(key);
    if (last !== undefined && now - last < AUDIT_WINDOW_MS) return;
    this.lastAudit.set(key, now);
    this.logger.warn(
      `${verdict.logOnly ? 'would block' : 'blocked'} ${request.transport} ingest for source ${request.tenantId}/${sourceId} from ${verdict.clientIp ?? 'an unknown address'}: ${verdict.reason} (logged at most once a minute per source and reason; the metrics count each)`,
    );
    void this.control.auditIngestRefusal(
      {
        actor: request.keyId ? { keyId: request.keyId, tenantId: request.tenantId } : { system: 'admission' },
        audit: true,
        ...(verdict.clientIp ? { clientIp: verdict.clientIp } : {}),
      },
      { command: verdict.logOnly ? 'IngestAdmissionLogOnly' : 'IngestAdmission', tenantId: request.tenantId, target: sourceId, errorCode: verdict.reason },
    );
  }
}
