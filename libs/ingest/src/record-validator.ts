import { IngressFormat } from '@telemetry/contracts';
import { checkRecord } from '@telemetry/enrichment';

export interface RecordRejection {
  readonly index: number;
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** Deeper records are refused: real flow records are flat, and deep nesting overflows the stack later. */
export const MAX_RECORD_DEPTH = 32;

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
      if (depthExceeds(record, MAX_RECORD_DEPTH)) {
        rejected.push({ index, field: '', code: 'too_deep', message: `Record is nested deeper than ${MAX_RECORD_DEPTH} levels` });
        continue;
      }
      const error = checkRecord(format, record);
      if (error === null) accepted.push({ index, record: record as Record<string, unknown> });
      else rejected.push({ index, field: error.field, code: error.code === 'invalid_record' ? 'not_an_object' : error.code, message: error.message });
    }
    return { accepted, rejected };
  }
}

/** Iterative (no recursion, so it cannot overflow itself) and stops at the first level past `max`. */
function depthExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<{ value: object; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
