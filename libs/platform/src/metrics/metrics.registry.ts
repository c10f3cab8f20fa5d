import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one Prometheus registry of a process (a prom-client Registry). Each feature declares its
 * instruments on it in a class of its own (IngestMetrics, EnricherMetrics, …); names are a contract
 * (`telemetry_<what>_<unit>_total`, base units, low-cardinality labels, never IPs or ids).
 */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** A registry with the process metrics (`telemetry_process_*`). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'telemetry_process_' });
  return registry;
}
