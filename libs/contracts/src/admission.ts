/**
 * Source admission at ingest (the original's §6.2), as a port: the ingest edge (HTTP now, the UDP
 * collector later) asks, the control plane (which folds the sources and the feature flags) answers.
 */
export type AdmissionReason = 'allowed' | 'disabled' | 'ip_not_allowed' | 'rate_limit';

export interface AdmissionRequest {
  readonly tenantId: string;
  readonly transport: 'http' | 'udp';
  /** The body's `source_id`/`collector_id`, else `X-Source-Id`: a source id, then a collector name, of the tenant. */
  readonly sourceRef?: string;
  /** The connection's peer address (the socket's, not a header's). */
  readonly peerAddress?: string;
  /** The raw X-Forwarded-For header: used only when the peer is a trusted proxy and HTTP_TRUST_XFF is on. */
  readonly forwardedFor?: string;
  /** The API key that sent it (the audit's actor). */
  readonly keyId?: string;
  /** Records in the request: the token bucket takes one per record. */
  readonly records: number;
}

export interface AdmissionVerdict {
  /** Whether the request proceeds (true for a block under ADMISSION_LOG_ONLY). */
  readonly admitted: boolean;
  readonly reason: AdmissionReason;
  /** A block that ADMISSION_LOG_ONLY let through. */
  readonly logOnly: boolean;
  /** The source the request resolved to, when it resolved to one. */
  readonly sourceId?: string;
  /** The client address admission judged (after X-Forwarded-For, when trusted). */
  readonly clientIp?: string;
  /** For rate_limit: whole seconds until the bucket holds the request's records. */
  readonly retryAfterS?: number;
  /** What went wrong, for the answer and the log. */
  readonly detail: string;
}

export interface IngestAdmission {
  /** Decides synchronously from the folded state; throws only on an internal failure (the caller applies ADMISSION_FAIL_OPEN). */
  admit(request: AdmissionRequest): AdmissionVerdict;
  /** Whether a failure of `admit` lets the request through (ADMISSION_FAIL_OPEN). */
  failOpen(): boolean;
}

/** The Nest injection token of the process's IngestAdmission (provided by ControlModule). */
export const INGEST_ADMISSION = Symbol('INGEST_ADMISSION');
