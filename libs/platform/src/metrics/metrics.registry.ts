/**
 * The one Prometheus registry of a process (a prom-client Registry). Each feature declares its
 * instruments on it; names are a contract (`telemetry_<what>_<unit>_total`, base units,
 * low-cardinality labels).
 */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
