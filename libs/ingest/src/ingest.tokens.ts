export const INGEST_LIMITS = Symbol('INGEST_LIMITS');
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
