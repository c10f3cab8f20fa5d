import { FEED_SOURCE_PREFIX, SCOPES, tenantIdProblem, type Scope, type TenantQuotas } from '@telemetry/contracts';
import { BUILT_IN_POLICIES, FEED_FORMATS, parseCidr } from '@telemetry/enrichment';
import { ControlCommandError } from '../control-decision';

/** One problem of a request body: the field (dotted path) and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const MAX_NAME_LENGTH = 200;
export const MAX_RETENTION_DAYS = 3650;
const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** Collects every problem of a body, then throws one 422 `validation_failed` listing them all. */
class BodyReader {
  readonly errors: FieldError[] = [];
  readonly body: Record<string, unknown>;

  constructor(raw: unknown, allowed: readonly string[]) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ControlCommandError('invalid_body', 400, 'The request body must be a JSON object');
    }
    this.body = raw as Record<string, unknown>;
    for (const field of Object.keys(this.body))
      if (!allowed.includes(field)) this.errors.push({ field, message: `unknown field; expected one of ${allowed.join(', ')}` });
  }

  tenantId(field: string, required: boolean): string | undefined {
    const value = this.body[field];
    if (value === undefined) {
      if (required) this.errors.push({ field, message: 'is required' });
      return undefined;
    }
    const problem = tenantIdProblem(value);
    if (problem) this.errors.push({ field, message: problem });
    return problem ? undefined : (value as string);
  }

  text(field: string, max = MAX_NAME_LENGTH): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim().length === 0) this.errors.push({ field, message: 'must be a non-empty string' });
    else if (value.length > max) this.errors.push({ field, message: `must be at most ${max} characters` });
    else if (/[\u0000-\u001f\u007f]/.test(value)) this.errors.push({ field, message: 'must not contain control characters' });
    else return value.trim();
    return undefined;
  }

  integer(field: string, min: number, max: number, source: Record<string, unknown> = this.body, prefix = ''): number | undefined {
    const value = source[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.errors.push({ field: `${prefix}${field}`, message: `must be an integer from ${min} to ${max}` });
      return undefined;
    }
    return value;
  }

  /** A built-in risk policy's name; null (when allowed) answers `""`: the deployment's default. */
  riskPolicy(field: string, nullable: boolean): string | undefined {
    const value = this.body[field];
    if (value === undefined) return undefined;
    if (value === null && nullable) return '';
    if (typeof value !== 'string' || !(value in BUILT_IN_POLICIES)) {
      this.errors.push({ field, message: `must be one of ${Object.keys(BUILT_IN_POLICIES).join(', ')}${nullable ? ', or null' : ''}` });
      return undefined;
    }
    return value;
  }

  quotas(field: string): TenantQuotas | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.errors.push({ field, message: 'must be an object with eps, batch_max and in_flight (each optional)' });
      return undefined;
    }
    const quotas = value as Record<string, unknown>;
    for (const name of Object.keys(quotas)) {
      if (!['eps', 'batch_max', 'in_flight'].includes(name))
        this.errors.push({ field: `${field}.${name}`, message: 'unknown quota; expected eps, batch_max or in_flight' });
    }
    const eps = this.integer('eps', 0, 10_000_000, quotas, `${field}.`);
    const batchMax = this.integer('batch_max', 1, 10_000, quotas, `${field}.`);
    const inFlight = this.integer('in_flight', 1, 10_000, quotas, `${field}.`);
    return {
      ...(eps !== undefined ? { eps } : {}),
      ...(batchMax !== undefined ? { batch_max: batchMax } : {}),
      ...(inFlight !== undefined ? { in_flight: inFlight } : {}),
    };
  }

  scopes(field: string): Scope[] {
    const value = this.body[field];
    if (!Array.isArray(value) || value.length === 0) {
      this.errors.push({ field, message: `is required: a non-empty array of ${SCOPES.join(', ')}` });
      return [];
    }
    const scopes: Scope[] = [];
    value.forEach((scope, index) => {
      if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
        this.errors.push({ field: `${field}[${index}]`, message: `unknown scope ${JSON.stringify(scope)}; expected one of ${SCOPES.join(', ')}` });
      } else if (!scopes.includes(scope as Scope)) scopes.push(scope as Scope);
    });
    return scopes;
  }

  timestamp(field: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) {
      this.errors.push({ field, message: 'must be an RFC 3339 timestamp, e.g. 2027-01-01T00:00:00Z' });
      return undefined;
    }
    return new Date(ms).toISOString();
  }

  done(): void {
    if (this.errors.length > 0) {
      throw new ControlCommandError(
        'validation_failed',
        422,
        `The request body has ${this.errors.length} problem(s): ${this.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        {
          errors: this.errors,
        },
      );
    }
  }
}

export interface CreateTenantRequest {
  readonly tenantId: string;
  readonly name: string;
  readonly retentionDays?: number;
  readonly quotas: TenantQuotas;
  readonly riskPolicy?: string;
}

export function parseCreateTenant(raw: unknown): CreateTenantRequest {
  const reader = new BodyReader(raw, ['tenant_id', 'name', 'retention_days', 'quotas', 'risk_policy']);
  const tenantId = reader.tenantId('tenant_id', true);
  const name = reader.text('name');
  const retentionDays = reader.integer('retention_days', 1, MAX_RETENTION_DAYS);
  const quotas = reader.quotas('quotas') ?? {};
  const riskPolicy = reader.riskPolicy('risk_policy', false);
  reader.done();
  return {
    tenantId: tenantId!,
    name: name ?? tenantId!,
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    quotas,
    ...(riskPolicy !== undefined ? { riskPolicy } : {}),
  };
}

export interface UpdateTenantRequest {
  readonly name?: string;
  readonly retentionDays?: number;
  readonly quotas?: TenantQuotas;
  readonly riskPolicy?: string;
}

export function parseUpdateTenant(raw: unknown): UpdateTenantRequest {
  const reader = new BodyReader(raw, ['name', 'retention_days', 'quotas', 'risk_policy']);
  const name = reader.text('name');
  const retentionDays = reader.integer('retention_days', 1, MAX_RETENTION_DAYS);
  const quotas = reader.quotas('quotas');
  const riskPolicy = reader.riskPolicy('risk_policy', true);
  reader.done();
  return {
    ...(name !== undefined ? { name } : {}),
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    ...(quotas !== undefined ? { quotas } : {}),
    ...(riskPolicy !== undefined ? { riskPolicy } : {}),
  };
}

export interface IssueKeyRequest {
  readonly tenantId?: string;
  readonly scopes: Scope[];
  readonly name?: string;
  readonly expiresAt?: string;
}

/** `note` is the v0.7.9 `/v1/keys` spelling of `name`. */
export function parseIssueKey(raw: unknown): IssueKeyRequest {
  const reader = new BodyReader(raw, ['tenant_id', 'scopes', 'name', 'note', 'expires_at']);
  const tenantId = reader.tenantId('tenant_id', false);
  const scopes = reader.scopes('scopes');
  const name = reader.text('name') ?? reader.text('note');
  const expiresAt = reader.timestamp('expires_at');
  reader.done();
  return { ...(tenantId ? { tenantId } : {}), scopes, ...(name ? { name } : {}), ...(expiresAt ? { expiresAt } : {}) };
}

export function parseRotateKey(raw: unknown, defaultGraceSeconds: number): { graceSeconds: number } {
  if (raw === undefined || raw === null || (typeof raw === 'object' && Object.keys(raw).length === 0)) return { graceSeconds: defaultGraceSeconds };
  const reader = new BodyReader(raw, ['grace_seconds']);
  const grace = reader.integer('grace_seconds', 0, MAX_GRACE_SECONDS);
  reader.done();
  return { graceSeconds: grace ?? defaultGraceSeconds };
}

/** `?force=true|false` (absent: false). */
export function parseForce(value: unknown): boolean {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new ControlCommandError('invalid_parameter', 400, 'force must be true or false', { field: 'force' });
}

// --- threat intel ---------------------------------------------------------------------------------

export const DEFAULT_INDICATOR_CATEGORY = 'malicious';
export const DEFAULT_INDICATOR_CONFIDENCE = 50;
export const DEFAULT_INDICATOR_SOURCE = 'api';
const MAX_CATEGORY_LENGTH = 64;
const MAX_SOURCE_LENGTH = 128;

export interface AddIndicatorRequest {
  /** The canonical network (host bits cleared). */
  readonly value: string;
  readonly category: string;
  readonly confidence: number;
  readonly source: string;
  readonly expiresAt?: string;
  readonly tenantId?: string;
}

/** PUT /v1/indicators: `{ip_or_cidr, category?, confidence?, source?, expires_at?, tenant_id?}`. */
export function parseAddIndicator(raw: unknown): AddIndicatorRequest {
  const reader = new BodyReader(raw, ['ip_or_cidr', 'category', 'confidence', 'source', 'expires_at', 'tenant_id']);
  const rawValue = reader.body.ip_or_cidr;
  let value: string | undefined;
  if (rawValue === undefined || rawValue === null || rawValue === '') reader.errors.push({ field: 'ip_or_cidr', message: 'is required' });
  else {
    const network = typeof rawValue === 'string' ? parseCidr(rawValue) : null;
    if (network === null) reader.errors.push({ field: 'ip_or_cidr', message: `must be an IPv4 or IPv6 address or CIDR, got ${JSON.stringify(rawValue)}` });
    else value = network.text;
  }
  const category = reader.text('category', MAX_CATEGORY_LENGTH);
  const confidence = reader.integer('confidence', 0, 100);
  const source = reader.text('source', MAX_SOURCE_LENGTH);
  if (source?.startsWith(FEED_SOURCE_PREFIX))
    reader.errors.push({ field: 'source', message: `must not start with "${FEED_SOURCE_PREFIX}": that belongs to registered feeds` });
  const expiresAt = reader.timestamp('expires_at');
  const tenantId = reader.tenantId('tenant_id', false);
  reader.done();
  return {
    value: value!,
    category: category ?? DEFAULT_INDICATOR_CATEGORY,
    confidence: confidence ?? DEFAULT_INDICATOR_CONFIDENCE,
    source: source ?? DEFAULT_INDICATOR_SOURCE,
    ...(expiresAt ? { expiresAt } : {}),
    ...(tenantId ? { tenantId } : {}),
  };
}

export const MIN_FEED_REFRESH_S = 60;
export const MAX_FEED_REFRESH_S = 7 * 24 * 3600;
export const DEFAULT_FEED_REFRESH_S = 3600;
const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const DURATION_UNIT_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

export interface RegisterFeedRequest {
  readonly name: string;
  readonly url?: string;
  readonly path?: string;
  readonly format: string;
  readonly refreshS: number;
  readonly category?: string;
  readonly confidence?: number;
  readonly categoriesUrl?: string;
  readonly categoriesPath?: string;
  readonly tenantId?: string;
}

/** POST /v1/indicators/feeds: `{name, url | path, format, refresh?, category?, confidence?, tenant_id?}`. */
export function parseRegisterFeed(raw: unknown): RegisterFeedRequest {
  const reader = new BodyReader(raw, ['name', 'url', 'path', 'format', 'refresh', 'category', 'confidence', 'categories_url', 'categories_path', 'tenant_id']);
  const name = reader.text('name', MAX_SOURCE_LENGTH - FEED_SOURCE_PREFIX.length);
  if (name === undefined && reader.body.name === undefined) reader.errors.push({ field: 'name', message: 'is required' });
  const url = reader.text('url', 2048);
  const path = reader.text('path', 1024);
  if (url === undefined && path === undefined && !reader.errors.some((e) => e.field === 'url' || e.field === 'path')) {
    reader.errors.push({ field: 'url', message: 'one of url and path is required' });
  }
  checkLocation(reader, 'url', url, 'path', path);
  const format = reader.body.format;
  if (typeof format !== 'string' || !(FEED_FORMATS as readonly string[]).includes(format)) {
    reader.errors.push({ field: 'format', message: `is required: one of ${FEED_FORMATS.join(', ')}` });
  }
  const categoriesUrl = reader.text('categories_url', 2048);
  const categoriesPath = reader.text('categories_path', 1024);
  checkLocation(reader, 'categories_url', categoriesUrl, 'categories_path', categoriesPath);
  if (format === 'suricata-iprep' && categoriesUrl === undefined && categoriesPath === undefined) {
    reader.errors.push({ field: 'categories_url', message: 'suricata-iprep needs its categories file: categories_url or categories_path' });
  } else if (format !== 'suricata-iprep' && (categoriesUrl !== undefined || categoriesPath !== undefined)) {
    reader.errors.push({
      field: categoriesUrl !== undefined ? 'categories_url' : 'categories_path',
      message: 'only suricata-iprep feeds have a categories file',
    });
  }
  const refreshS = readDuration(reader, 'refresh');
  const category = reader.text('category', MAX_CATEGORY_LENGTH);
  const confidence = reader.integer('confidence', 0, 100);
  const tenantId = reader.tenantId('tenant_id', false);
  reader.done();
  return {
    name: name!,
    ...(url !== undefined ? { url } : {}),
    ...(path !== undefined ? { path } : {}),
    format: format as string,
    refreshS: refreshS ?? DEFAULT_FEED_REFRESH_S,
    ...(category !== undefined ? { category } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    ...(categoriesUrl !== undefined ? { categoriesUrl } : {}),
    ...(categoriesPath !== undefined ? { categoriesPath } : {}),
    ...(tenantId !== undefined ? { tenantId } : {}),
  };
}

/** A URL must be http(s); a path absolute. */
function checkLocation(reader: BodyReader, urlField: string, url: string | undefined, pathField: string, path: string | undefined): void {
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      reader.errors.push({ field: urlField, message: 'must be an http:// or https:// URL' });
  }
  if (path !== undefined && !path.startsWith('/')) reader.errors.push({ field: pathField, message: 'must be an absolute path' });
  if (url !== undefined && path !== undefined) reader.errors.push({ field: pathField, message: `give ${urlField} or ${pathField}, not both` });
}

/** Seconds as an integer, or text: `90`, `15m`, `6h`, `1d`. */
function readDuration(reader: BodyReader, field: string): number | undefined {
  const value = reader.body[field];
  if (value === undefined || value === null) return undefined;
  let seconds = NaN;
  if (typeof value === 'number' && Number.isInteger(value)) seconds = value;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) seconds = Number(match[1]) * DURATION_UNIT_S[match[2] ?? 's'];
  }
  if (!(seconds >= MIN_FEED_REFRESH_S && seconds <= MAX_FEED_REFRESH_S)) {
    reader.errors.push({ field, message: `must be seconds (an integer) or a duration like "15m", "6h", "1d", from ${MIN_FEED_REFRESH_S} s to 7 d` });
    return undefined;
  }
  return seconds;
}
