/**
 * The control plane's events: what `telemetry.control.v1` (the admin plane's event store) holds.
 * One JSON document per message, keyed by aggregate id (`tenant:<id>`, `api_key:<id>`,
 * `indicator:<id>`, `feed:<id>`, `source:<tenant>/<id>`, `audit:<request id>`), header `event-type`. Events are past tense and carry a `schemaVersion`;
 * within a version only additive, optional fields are added. A reader passes every stored document
 * through `upcastControlEvent` before it folds it, so an older document is read as the current shape.
 */

/** The scopes an API key may hold; `admin` satisfies every check. */
export const SCOPES = ['ingest', 'read_metrics', 'read_requests', 'export', 'manage_indicators', 'read_sources', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const CONTROL_EVENT_SCHEMA_VERSION = 1;

/** Kafka header of every control event: its type, so a reader can skip what it does not fold without parsing. */
export const CONTROL_HEADERS = { eventType: 'event-type' } as const;

/** Tenant ids: a lowercase slug (DNS-label-like), 1–63 characters. */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const TENANT_ID_MAX_LENGTH = 63;

/** Why `value` is not a valid tenant id, or null when it is one. */
export function tenantIdProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > TENANT_ID_MAX_LENGTH) return `must be at most ${TENANT_ID_MAX_LENGTH} characters, got ${value.length}`;
  if (!TENANT_ID_PATTERN.test(value)) return 'must be a lowercase slug: a-z, 0-9 and "-", starting and ending with a letter or digit';
  return null;
}

/** Per-tenant ingest limits; an absent field means "the deployment's default". */
export interface TenantQuotas {
  /** Records per second admitted at ingest (token bucket, burst 2×); 0 = unlimited. */
  readonly eps?: number;
  /** Records per request. */
  readonly batch_max?: number;
  /** Ingest requests in flight at once per process. */
  readonly in_flight?: number;
}

/** Who issued a command: a key, or the process itself (seeding at start). */
export type ControlActor = { readonly keyId: string; readonly tenantId: string } | { readonly system: 'seed' | 'generated' | 'feed-scheduler' | 'admission' };

/** How a secret is stored: never in clear. */
export interface StoredSecret {
  /**
   * `sha256-salted`: sha256(salt ‖ secret) for the 256-bit random secrets the API issues (brute
   * force is not a threat to them); `scrypt`: for operator-chosen seed keys, which may be guessable.
   */
  readonly alg: 'sha256-salted' | 'scrypt';
  /** base64 */
  readonly salt: string;
  /** base64 */
  readonly digest: string;
  /** A rotated-out secret stays valid until then (ISO 8601); absent = valid while the key is active. */
  readonly validUntil?: string;
}

interface EventBase<T extends string, D> {
  readonly type: T;
  readonly schemaVersion: number;
  /** Unique per event (the writer's), so a writer can tell whether its own event won a race. */
  readonly eventId: string;
  readonly aggregateId: string;
  /** ISO 8601, the deciding process's clock. */
  readonly occurredAt: string;
  readonly actor: ControlActor;
  readonly requestId?: string;
  readonly data: D;
}

export type TenantCreated = EventBase<
  'TenantCreated',
  {
    readonly tenantId: string;
    readonly name: string;
    readonly retentionDays: number;
    readonly quotas: TenantQuotas;
    /** The risk policy scoring its flows, by name (`original-live`, `confidence-weighted`); absent: the deployment's RISK_POLICY. */
    readonly riskPolicy?: string;
  }
>;
export type TenantUpdated = EventBase<
  'TenantUpdated',
  {
    readonly tenantId: string;
    readonly name?: string;
    readonly retentionDays?: number;
    readonly quotas?: TenantQuotas;
    /** A policy name, or `""`: back to the deployment's RISK_POLICY. */
    readonly riskPolicy?: string;
    /** The tenant's `updatedAt` the change was decided on: a change decided on an older version does not apply (optimistic concurrency). */
    readonly basedOn?: string;
  }
>;
export type TenantDeleted = EventBase<'TenantDeleted', { readonly tenantId: string }>;

export type ApiKeyIssued = EventBase<
  'ApiKeyIssued',
  {
    readonly keyId: string;
    readonly tenantId: string;
    readonly scopes: readonly Scope[];
    readonly name?: string;
    readonly expiresAt?: string;
    readonly secret: StoredSecret;
    /** `api`: POST /v1/admin/keys; `seed`: API_KEY / TELEMETRY_SEED_KEYS; `generated`: the embedded first start. */
    readonly origin: 'api' | 'seed' | 'generated';
  }
>;
export type ApiKeyRevoked = EventBase<'ApiKeyRevoked', { readonly keyId: string; readonly tenantId: string; readonly reason: 'revoked' | 'tenant_deleted' }>;
export type ApiKeyRotated = EventBase<
  'ApiKeyRotated',
  {
    readonly keyId: string;
    readonly tenantId: string;
    readonly secret: StoredSecret;
    /** Until when the secret it replaces is still accepted (ISO 8601). */
    readonly previousValidUntil: string;
  }
>;
/** Seen in use by some process (written at most once per key per process per `KEY_LAST_USED_GRANULARITY_MS`). */
export type ApiKeyUsed = EventBase<'ApiKeyUsed', { readonly keyId: string; readonly tenantId: string; readonly usedAt: string }>;

/** One admin command, accepted or refused: the audit trail. */
export type AdminCommandAudited = EventBase<
  'AdminCommandAudited',
  {
    readonly command: string;
    readonly tenantId?: string;
    readonly target?: string;
    readonly outcome: 'accepted' | 'refused';
    /** The refusal's stable code. */
    readonly errorCode?: string;
    readonly changedFields?: readonly string[];
    readonly clientIp?: string;
  }
>;

// --- threat intelligence ---------------------------------------------------------------------------

/**
 * Where an indicator or a feed applies: a tenant's own (`tenantId` set) or every tenant's (absent:
 * global, set by an admin). A tenant's flows match the global indicators and its own, never another's.
 */
interface IntelScope {
  readonly tenantId?: string;
}

/** One indicator as a feed lists it: its id is derived (scope, value, feed source), so it is not stored. */
export interface FeedEntry {
  /** The canonical network (`203.0.113.7/32`, `2001:db8::/48`). */
  readonly value: string;
  readonly category: string;
  /** 0-100 */
  readonly confidence: number;
}

/** Added, or replaced: the same id (scope, value, source) again replaces category, confidence and expiry. */
export type IndicatorAdded = EventBase<
  'IndicatorAdded',
  IntelScope & {
    readonly indicatorId: string;
    /** The canonical network. */
    readonly value: string;
    readonly category: string;
    /** 0-100 */
    readonly confidence: number;
    readonly source: string;
    /** ISO 8601: it stops matching then. */
    readonly expiresAt?: string;
  }
>;
export type IndicatorRemoved = EventBase<'IndicatorRemoved', IntelScope & { readonly indicatorId: string }>;

export const FEED_SOURCE_PREFIX = 'feed:';

export type FeedRegistered = EventBase<
  'FeedRegistered',
  IntelScope & {
    readonly feedId: string;
    readonly name: string;
    /** Exactly one of url and path. */
    readonly url?: string;
    readonly path?: string;
    /** One of the parser formats (FEED_FORMATS of @telemetry/enrichment). */
    readonly format: string;
    /** Seconds between fetches. */
    readonly refreshS: number;
    readonly category?: string;
    readonly confidence?: number;
    /** `suricata-iprep` only: where its categories file (`id,short_name,description`) is, a URL or a path. */
    readonly categoriesUrl?: string;
    readonly categoriesPath?: string;
  }
>;
/** The feed and every indicator it brought are gone. */
export type FeedDeleted = EventBase<'FeedDeleted', IntelScope & { readonly feedId: string }>;
/** Part of a sync's diff (a big diff is several events, each a bounded size): indicators the feed now lists or no longer lists. */
export type FeedIndicatorsChanged = EventBase<
  'FeedIndicatorsChanged',
  IntelScope & { readonly feedId: string; readonly upserts: readonly FeedEntry[]; readonly removals: readonly string[] }
>;
export interface FeedSyncCounts {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  /** Indicators the feed holds after the sync. */
  readonly total: number;
  readonly malformed: number;
  readonly skipped: number;
}
/** A fetch that succeeded: its validators for the next conditional fetch, and what changed. */
export type FeedSynced = EventBase<
  'FeedSynced',
  IntelScope & {
    readonly feedId: string;
    readonly outcome: 'updated' | 'not_modified';
    readonly fetchedAt: string;
    readonly etag?: string;
    readonly lastModified?: string;
    readonly counts?: FeedSyncCounts;
    /** The first few malformed entries (line, reason). */
    readonly malformedSample?: ReadonlyArray<{ readonly line: number; readonly reason: string }>;
  }
>;
/** A fetch or parse that failed: the feed keeps its last good indicators. */
export type FeedSyncFailed = EventBase<
  'FeedSyncFailed',
  IntelScope & { readonly feedId: string; readonly failedAt: string; readonly errorCode: string; readonly error: string; readonly httpStatus?: number }
>;

// --- sources (the registry of what sends flows; admission at ingest reads it) -------------------------

export const SOURCE_TYPES = ['udp', 'http'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
export const SOURCE_STATUSES = ['enabled', 'disabled'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

/** The fields of a source an update may change (each absent = unchanged). */
export interface SourceSettings {
  readonly displayName?: string;
  readonly collector?: string;
  /** `""`: cleared. */
  readonly site?: string;
  readonly tags?: readonly string[];
  /** `""`: cleared. */
  readonly notes?: string;
  readonly status?: SourceStatus;
  /** Canonical CIDRs (`10.0.0.0/8`, `2001:db8::/32`), at most 128. */
  readonly allowedIps?: readonly string[];
  /** Records per second admitted; 0 = unlimited. */
  readonly maxEps?: number;
  readonly blockOnExceed?: boolean;
}

/** A source registered for a tenant; its id is unique within the tenant. */
export type SourceRegistered = EventBase<
  'SourceRegistered',
  {
    readonly tenantId: string;
    readonly sourceId: string;
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
>;
export type SourceUpdated = EventBase<
  'SourceUpdated',
  SourceSettings & {
    readonly tenantId: string;
    readonly sourceId: string;
    /** The source's `updatedAt` the change was decided on: a change decided on an older version does not apply (optimistic concurrency). */
    readonly basedOn?: string;
  }
>;
export type SourceDeleted = EventBase<'SourceDeleted', { readonly tenantId: string; readonly sourceId: string }>;

export type TenantEvent = TenantCreated | TenantUpdated | TenantDeleted;
export type ApiKeyEvent = ApiKeyIssued | ApiKeyRevoked | ApiKeyRotated | ApiKeyUsed;
export type IndicatorEvent = IndicatorAdded | IndicatorRemoved;
export type FeedEvent = FeedRegistered | FeedDeleted | FeedIndicatorsChanged | FeedSynced | FeedSyncFailed;
export type IntelEvent = IndicatorEvent | FeedEvent;
export type SourceEvent = SourceRegistered | SourceUpdated | SourceDeleted;

// --- feature flags -----------------------------------------------------------------------------------

/** The runtime switches of admission control, with the original's names. */
export const FEATURE_FLAGS = [
  'ADMISSION_HTTP_ENABLED',
  'ADMISSION_UDP_ENABLED',
  'ADMISSION_LOG_ONLY',
  'ADMISSION_FAIL_OPEN',
  'ADMISSION_COMPAT_ALLOW_EMPTY_IPS',
  'ADMISSION_BLOCK_ON_EXCEED_DEFAULT',
  'HTTP_IP_ALLOWLIST_ENABLED',
  'HTTP_TRUST_XFF',
] as const;
export type FeatureFlag = (typeof FEATURE_FLAGS)[number];
export type FeatureFlags = Readonly<Record<FeatureFlag, boolean>>;

/** Flags set through the API: from then on they hold in every process, over its environment's initial value. */
export type FeatureFlagsSet = EventBase<'FeatureFlagsSet', { readonly flags: Readonly<Partial<Record<FeatureFlag, boolean>>> }>;

export const FEATURE_FLAGS_AGGREGATE_ID = 'feature_flags';

export type ControlEvent = TenantEvent | ApiKeyEvent | IntelEvent | SourceEvent | FeatureFlagsSet | AdminCommandAudited;
export type ControlEventType = ControlEvent['type'];

export const CONTROL_EVENT_TYPES: readonly ControlEventType[] = [
  'TenantCreated',
  'TenantUpdated',
  'TenantDeleted',
  'ApiKeyIssued',
  'ApiKeyRevoked',
  'ApiKeyRotated',
  'ApiKeyUsed',
  'IndicatorAdded',
  'IndicatorRemoved',
  'FeedRegistered',
  'FeedDeleted',
  'FeedIndicatorsChanged',
  'FeedSynced',
  'FeedSyncFailed',
  'SourceRegistered',
  'SourceUpdated',
  'SourceDeleted',
  'FeatureFlagsSet',
  'AdminCommandAudited',
];

/** The threat-intel events: a process that does not match or serve indicators skips them unread (by the event-type header). */
export const INTEL_EVENT_TYPES: ReadonlySet<string> = new Set<ControlEventType>([
  'IndicatorAdded',
  'IndicatorRemoved',
  'FeedRegistered',
  'FeedDeleted',
  'FeedIndicatorsChanged',
  'FeedSynced',
  'FeedSyncFailed',
]);

export const KEY_LAST_USED_GRANULARITY_MS = 15 * 60 * 1000;

/** Thrown for a stored document that is not a control event this version can read. */
export class UnreadableControlEventError extends Error {
  readonly code = 'unreadable_control_event';
}

/**
 * Upcasters by type: a function per stored version below the current one, each lifting a document one
 * version. Version 1 is the first; the table is where version 2 of an event adds its step.
 */
const UPCASTERS: Readonly<Record<string, Readonly<Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>>>> = {};

/** Reads a stored control event (a parsed JSON document) as the current schema version. */
export function upcastControlEvent(doc: unknown): ControlEvent {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UnreadableControlEventError('a control event must be a JSON object');
  let current = doc as Record<string, unknown>;
  const type = current.type;
  if (typeof type !== 'string' || !(CONTROL_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new UnreadableControlEventError(`unknown control event type ${JSON.stringify(type)}`);
  }
  let version = current.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new UnreadableControlEventError(`${type}: schemaVersion must be a positive integer`);
  if (version > CONTROL_EVENT_SCHEMA_VERSION) {
    throw new UnreadableControlEventError(
      `${type} has schemaVersion ${version}, newer than this build reads (${CONTROL_EVENT_SCHEMA_VERSION}): upgrade this process`,
    );
  }
  while (version < CONTROL_EVENT_SCHEMA_VERSION) {
    const step = UPCASTERS[type]?.[version];
    if (!step) throw new UnreadableControlEventError(`${type}: no upcaster from schemaVersion ${version}`);
    current = step(current);
    version += 1;
  }
  if (typeof current.eventId !== 'string' || typeof current.aggregateId !== 'string' || typeof current.data !== 'object' || current.data === null) {
    throw new UnreadableControlEventError(`${type}: eventId, aggregateId and data are required`);
  }
  return { ...current, schemaVersion: CONTROL_EVENT_SCHEMA_VERSION } as unknown as ControlEvent;
}

/** The message key of an aggregate's events. */
export const tenantAggregateId = (tenantId: string): string => `tenant:${tenantId}`;
export const apiKeyAggregateId = (keyId: string): string => `api_key:${keyId}`;
export const indicatorAggregateId = (indicatorId: string): string => `indicator:${indicatorId}`;
export const feedAggregateId = (feedId: string): string => `feed:${feedId}`;
/** A source's id is unique within its tenant only: the tenant is part of the key. */
export const sourceAggregateId = (tenantId: string, sourceId: string): string => `source:${tenantId}/${sourceId}`;
