import {
  FEED_SOURCE_PREFIX,
  SCOPES,
  SOURCE_STATUSES,
  SOURCE_TYPES,
  tenantIdProblem,
  type Scope,
  type SourceSettings,
  type SourceStatus,
  type SourceType,
  type TenantQuotas,
} from '@telemetry/contracts';
import { BUILT_IN_POLICIES, canonicalIp, FEED_FORMATS, parseCidr } from '@telemetry/enrichment';
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

// --- sources --------------------------------------------------------------------------------------

/** Source ids: a slug unique within the tenant (`default-http`, `edge-fra1.r2`), 1–64 characters. */
export const SOURCE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const MAX_ALLOWED_IPS = 128;
export const MAX_SOURCE_EPS = 1_000_000;
const MAX_TAGS = 64;
const MAX_TAG_LENGTH = 64;
const MAX_NOTES_LENGTH = 2000;

export interface RegisterSourceRequest {
  readonly sourceId: string;
  readonly tenantId?: string;
  readonly type: SourceType;
  readonly displayName: string;
  readonly collector: string;
  readonly site?: string;
  readonly tags: readonly string[];
  readonly notes?: string;
  readonly status: SourceStatus;
  readonly allowedIps: readonly string[];
  readonly maxEps: number;
  readonly blockOnExceed: boolean;
}

/** POST /v1/sources: the original's SourceCreate (`tenant_id` optional: absent, the caller's tenant). */
export function parseRegisterSource(raw: unknown): RegisterSourceRequest {
  const reader = new BodyReader(raw, [
    'id',
    'tenant_id',
    'type',
    'display_name',
    'collector',
    'site',
    'tags',
    'notes',
    'status',
    'allowed_ips',
    'max_eps',
    'block_on_exceed',
  ]);
  const id = reader.body.id;
  if (id === undefined || id === null || id === '') reader.errors.push({ field: 'id', message: 'is required' });
  else if (typeof id !== 'string' || !SOURCE_ID_PATTERN.test(id)) {
    reader.errors.push({
      field: 'id',
      message: 'must be a lowercase slug of 1-64 characters: a-z, 0-9, ".", "_" and "-", starting and ending with a letter or digit',
    });
  }
  const tenantId = reader.tenantId('tenant_id', false);
  const type = oneOf(reader, 'type', SOURCE_TYPES, true);
  const displayName = required(reader, 'display_name', reader.text('display_name'));
  const collector = required(reader, 'collector', reader.text('collector'));
  const settings = sourceSettings(reader);
  reader.done();
  return {
    sourceId: id as string,
    ...(tenantId !== undefined ? { tenantId } : {}),
    type: type!,
    displayName: displayName!,
    collector: collector!,
    ...(settings.site ? { site: settings.site } : {}),
    tags: settings.tags ?? [],
    ...(settings.notes ? { notes: settings.notes } : {}),
    status: settings.status ?? 'enabled',
    allowedIps: settings.allowedIps ?? [],
    maxEps: settings.maxEps ?? 0,
    blockOnExceed: settings.blockOnExceed ?? true,
  };
}

/** PATCH /v1/sources/{id}: any of the settable fields; null clears `site` and `notes`. */
export function parseUpdateSource(raw: unknown): SourceSettings {
  const reader = new BodyReader(raw, ['display_name', 'collector', 'site', 'tags', 'notes', 'status', 'allowed_ips', 'max_eps', 'block_on_exceed']);
  const displayName = reader.text('display_name');
  const collector = reader.text('collector');
  if (reader.body.display_name === null) reader.errors.push({ field: 'display_name', message: 'must be a non-empty string' });
  if (reader.body.collector === null) reader.errors.push({ field: 'collector', message: 'must be a non-empty string' });
  const settings = sourceSettings(reader);
  reader.done();
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    ...(collector !== undefined ? { collector } : {}),
    ...(reader.body.site === null ? { site: '' } : settings.site !== undefined ? { site: settings.site } : {}),
    ...(reader.body.notes === null ? { notes: '' } : settings.notes !== undefined ? { notes: settings.notes } : {}),
    ...(settings.tags !== undefined ? { tags: settings.tags } : {}),
    ...(settings.status !== undefined ? { status: settings.status } : {}),
    ...(settings.allowedIps !== undefined ? { allowedIps: settings.allowedIps } : {}),
    ...(settings.maxEps !== undefined ? { maxEps: settings.maxEps } : {}),
    ...(settings.blockOnExceed !== undefined ? { blockOnExceed: settings.blockOnExceed } : {}),
  };
}

/** POST /v1/sources/{id}/admission/test: `{client_ip}`, canonical. */
export function parseAdmissionTest(raw: unknown): { readonly clientIp: string } {
  const reader = new BodyReader(raw, ['client_ip']);
  const value = reader.body.client_ip;
  let clientIp: string | null = null;
  if (value === undefined || value === null || value === '') reader.errors.push({ field: 'client_ip', message: 'is required' });
  else {
    clientIp = canonicalIp(typeof value === 'string' ? value.trim() : value);
    if (clientIp === null) reader.errors.push({ field: 'client_ip', message: `must be an IPv4 or IPv6 address, got ${JSON.stringify(value)}` });
  }
  reader.done();
  return { clientIp: clientIp! };
}

/** The optional settings shared by create and update. */
function sourceSettings(reader: BodyReader): Omit<SourceSettings, 'displayName' | 'collector'> {
  const site = reader.text('site');
  const notes = reader.text('notes', MAX_NOTES_LENGTH);
  const tags = readTags(reader, 'tags');
  const status = oneOf(reader, 'status', SOURCE_STATUSES, false);
  const allowedIps = readAllowedIps(reader, 'allowed_ips');
  const maxEps = reader.integer('max_eps', 0, MAX_SOURCE_EPS);
  const blockOnExceed = readBoolean(reader, 'block_on_exceed');
  return {
    ...(site !== undefined ? { site } : {}),
    ...(notes !== undefined ? { notes } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(allowedIps !== undefined ? { allowedIps } : {}),
    ...(maxEps !== undefined ? { maxEps } : {}),
    ...(blockOnExceed !== undefined ? { blockOnExceed } : {}),
  };
}

function required<T>(reader: BodyReader, field: string, value: T | undefined): T | undefined {
  if (value === undefined && (reader.body[field] === undefined || reader.body[field] === null)) reader.errors.push({ field, message: 'is required' });
  return value;
}

function oneOf<T extends string>(reader: BodyReader, field: string, values: readonly T[], isRequired: boolean): T | undefined {
  const value = reader.body[field];
  if (value === undefined || value === null) {
    if (isRequired) reader.errors.push({ field, message: `is required: one of ${values.join(', ')}` });
    return undefined;
  }
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    reader.errors.push({ field, message: `must be one of ${values.join(', ')}` });
    return undefined;
  }
  return value as T;
}

function readBoolean(reader: BodyReader, field: string): boolean | undefined {
  const value = reader.body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    reader.errors.push({ field, message: 'must be true or false' });
    return undefined;
  }
  return value;
}

/** A JSON array, or the original's JSON-encoded string of one (`"[\"10.0.0.0/8\"]"`). */
function readList(reader: BodyReader, field: string, what: string): unknown[] | undefined {
  let value = reader.body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      reader.errors.push({ field, message: `must be an array of ${what}, or a JSON-encoded string of one` });
      return undefined;
    }
  }
  if (!Array.isArray(value)) {
    reader.errors.push({ field, message: `must be an array of ${what}, or a JSON-encoded string of one` });
    return undefined;
  }
  return value;
}

/** At most 128 IPv4 or IPv6 CIDRs (or addresses), canonical (host bits cleared) and without duplicates. */
function readAllowedIps(reader: BodyReader, field: string): string[] | undefined {
  const list = readList(reader, field, 'CIDRs');
  if (list === undefined) return undefined;
  if (list.length > MAX_ALLOWED_IPS) {
    reader.errors.push({ field, message: `must hold at most ${MAX_ALLOWED_IPS} entries, got ${list.length}` });
    return undefined;
  }
  const cidrs: string[] = [];
  list.forEach((entry, index) => {
    const network = parseCidr(entry);
    if (network === null) reader.errors.push({ field: `${field}[${index}]`, message: `must be an IPv4 or IPv6 CIDR, got ${JSON.stringify(entry)}` });
    else if (!cidrs.includes(network.text)) cidrs.push(network.text);
  });
  return cidrs;
}

function readTags(reader: BodyReader, field: string): string[] | undefined {
  const list = readList(reader, field, 'strings');
  if (list === undefined) return undefined;
  if (list.length > MAX_TAGS) {
    reader.errors.push({ field, message: `must hold at most ${MAX_TAGS} tags, got ${list.length}` });
    return undefined;
  }
  const tags: string[] = [];
  list.forEach((tag, index) => {
    if (typeof tag !== 'string' || tag.trim() === '' || tag.length > MAX_TAG_LENGTH || /[\u0000-\u001f\u007f]/.test(tag)) {
      reader.errors.push({ field: `${field}[${index}]`, message: `must be a non-empty string of at most ${MAX_TAG_LENGTH} characters` });
    } else if (!tags.includes(tag.trim())) tags.push(tag.trim());
  });
  return tags;
}
