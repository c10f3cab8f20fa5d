import { IngressFormat } from '@telemetry/contracts';
import { checkRecord } from '@telemetry/enrichment';

export interface RecordRejection {
  readonly index: number;
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface ValidationOutcome {
  readonly accepted: ReadonlyArray<{ readonly index: number; readonly record: Record<string, unknown> }>;
  readonly rejected: readonly RecordRejection[];
}

/**
 * Validates each record once at the edge with the enricher's own checks (`checkRecord`, the same
 * code `normalize` runs): a record accepted here is one the enricher can enrich, and every
 * rejection names the field as the producer spelled it.
 */
export class RecordValidator {
  validate(format: IngressFormat, records: readonly unknown[]): ValidationOutcome {
    const accepted: Array<{ index: number; record: Record<string, unknown> }> = [];
    const rejected: RecordRejection[] = [];
    for (let index = 0; index < records.length; index += 1) {
      const record = records[index];
      const error = checkRecord(format, record);
      if (error === null) accepted.push({ index, record: record as Record<string, unknown> });
      else rejected.push({ index, field: error.field, code: error.code === 'invalid_record' ? 'not_an_object' : error.code, message: error.message });
    }
    return { accepted, rejected };
  }
}
