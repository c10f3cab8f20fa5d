/**
 * Per-tenant outputs, as the control plane hands them to the sinks. The admin API (libs/control)
 * records them as control events with the secrets encrypted; the sinks (libs/sink) read them through
 * an OutputDirectory, which answers them decrypted, in process memory only.
 */
export type OutputKind = 'splunk' | 'elastic';

export const OUTPUT_KINDS: readonly OutputKind[] = ['splunk', 'elastic'];

/** A tenant's Splunk HEC destination (the same fields as the SPLUNK_HEC_* environment). */
export interface SplunkOutputSettings {
  readonly kind: 'splunk';
  /** The HEC base URL, e.g. https://splunk.example:8088 (the exporter appends /services/collector…). */
  readonly url: string;
  readonly index?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  /** Indexer acknowledgement (the HEC channel's ack protocol). */
  readonly ack: boolean;
  readonly gzip: boolean;
  /** Decrypted. */
  readonly token: string;
}

/** A tenant's Elasticsearch/OpenSearch destination (the same fields as the ELASTIC_* environment). */
export interface ElasticOutputSettings {
  readonly kind: 'elastic';
  readonly urls: readonly string[];
  /** Index name pattern with {yyyy.MM.dd}-style date tokens; ignored when dataStream is set. */
  readonly indexPattern: string;
  readonly dataStream?: string;
  readonly gzip: boolean;
  readonly username?: string;
  /** Decrypted. */
  readonly password?: string;
  /** Decrypted. */
  readonly apiKey?: string;
}

export type OutputSettings = SplunkOutputSettings | ElasticOutputSettings;

/** One tenant's output of one kind, resolved for delivery. */
export interface ResolvedOutput {
  readonly tenantId: string;
  /**
   * Changes whenever the output is reconfigured (the id of the event that last set it): a sink keeps
   * one exporter per (tenant, kind, revision) and replaces it when the revision moves.
   */
  readonly revision: string;
  readonly settings: OutputSettings;
}

/** What a sink asks the control plane: the tenant's output of a kind, if it configured one. */
export interface OutputDirectory {
  outputFor(tenantId: string, kind: OutputKind): ResolvedOutput | undefined;
}

/** The Nest injection token of the process's OutputDirectory (provided by ControlModule). */
export const OUTPUT_DIRECTORY = Symbol('OUTPUT_DIRECTORY');
