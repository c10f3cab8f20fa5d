import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { AuthenticatedRequest } from '@telemetry/auth';
import type { RiskReason, ThreatMatch } from '@telemetry/contracts';
import { canonicalIp, policyLabel, type GeoLookup, type RiskPolicy } from '@telemetry/enrichment';
import { CLOCK } from '@telemetry/platform';
import { GeoRequestError } from '../geo/geo.errors';
import { GEO_LOOKUP } from '../geo/geo.tokens';
import { AsnAnswerDto, GeoAnswerDto, GeoErrorDto } from '../geo/geo.views';
import { LiveThreatIntel } from '../live-threat-intel';

/** How a lookup is scored: the deployment's policy, or the tenant's own. */
export const LOOKUP_POLICY = Symbol('LOOKUP_POLICY');
export type LookupPolicy = (tenantId: string) => RiskPolicy;

export class LookupRequestDto {
  @ApiProperty({ description: 'An IPv4 or IPv6 address', example: '45.155.205.233' })
  ip!: string;
}

class ThreatMatchDto {
  @ApiProperty({ example: '45.155.205.233/32' })
  indicator!: string;
  @ApiProperty({ example: 'C2' })
  category!: string;
  @ApiProperty({ example: 85 })
  confidence!: number;
  @ApiProperty({ example: 'threatlist.csv' })
  source!: string;
  @ApiProperty({ enum: ['src_ip', 'dst_ip'], example: 'dst_ip' })
  field!: string;
  @ApiProperty({ example: '45.155.205.233' })
  ip!: string;
}

class RiskReasonDto {
  @ApiProperty({ example: 'threat_intel_match' })
  code!: string;
  @ApiProperty({ example: 60 })
  points!: number;
  @ApiPropertyOptional({ example: 'matched 1 indicator: 45.155.205.233/32 (C2, confidence 85)' })
  detail?: string;
}

export class LookupResultDto {
  @ApiProperty({ example: '45.155.205.233' })
  ip!: string;
  @ApiProperty({ type: GeoAnswerDto, nullable: true })
  geo!: GeoAnswerDto | null;
  @ApiProperty({ type: AsnAnswerDto, nullable: true })
  asn!: AsnAnswerDto | null;
  @ApiProperty({ example: { matches: [] } })
  ti!: { matches: ThreatMatchDto[] };
  @ApiProperty({ example: 70, description: 'As the enricher scores a flow whose destination is this address' })
  risk_score!: number;
  @ApiProperty({ type: [RiskReasonDto] })
  risk_reasons!: RiskReasonDto[];
  @ApiProperty({ example: 'original-live@1' })
  risk_policy!: string;
}

/**
 * POST /v1/lookup: what the enricher would say about an address — GeoIP, ASN, the threat-intel
 * indicators it matches for the caller's tenant (global and its own), and the risk score of a flow
 * to it (the original scored `{dst_ip: ip}`), from the same live data the enricher uses.
 */
@ApiTags('enrichment')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: GeoErrorDto })
@Controller('v1')
export class LookupHttpController {
  constructor(
    @Inject(GEO_LOOKUP) private readonly geo: GeoLookup,
    private readonly threatIntel: LiveThreatIntel,
    @Inject(LOOKUP_POLICY) private readonly policyOf: LookupPolicy,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  @Post('lookup')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enrich and score one address', description: 'Any valid key; matches are those of the key’s tenant (or X-Tenant-ID for an admin).' })
  @ApiBody({ type: LookupRequestDto })
  @ApiOkResponse({ type: LookupResultDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: ip missing or not an address', type: GeoErrorDto })
  lookup(@Body() body: unknown, @Req() request: AuthenticatedRequest): LookupResultDto {
    const raw = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).ip : undefined;
    const ip = canonicalIp(typeof raw === 'string' ? raw.trim() : raw);
    if (ip === null) {
      const message = raw === undefined || raw === null || raw === '' ? 'is required' : `must be an IPv4 or IPv6 address, got ${JSON.stringify(raw)}`;
      throw new GeoRequestError('validation_failed', 422, `The request body has 1 problem(s): ip ${message}`, { errors: [{ field: 'ip', message }] });
    }
    const tenantId = request.principal!.tenantId;
    const matches: ThreatMatch[] = this.threatIntel.match({ srcIp: '', dstIp: ip, tenantId }, this.clock().getTime());
    const policy = this.policyOf(tenantId);
    const risk = policy.evaluate({ flow: { srcPort: null, dstPort: null, bytes: null, origBytes: null }, threatMatches: matches });
    return {
      ip,
      geo: this.geo.city(ip),
      asn: this.geo.asn(ip),
      ti: { matches },
      risk_score: risk.score,
      risk_reasons: risk.reasons as RiskReason[],
      risk_policy: policyLabel(policy),
    };
  }
}
