import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { INGRESS_SCHEMAS, IngressFormat } from '@telemetry/contracts';

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

/** Validates records once at the edge with schemas compiled at start (no per-request compilation). */
export class RecordValidator {
  private readonly validators: Record<IngressFormat, ValidateFunction>;

  constructor() {
    const ajv = new Ajv({ allErrors: false, strict: false });
    this.validators = {
      'zeek.conn': ajv.compile(INGRESS_SCHEMAS['zeek.conn']),
      'flows.v1': ajv.compile(INGRESS_SCHEMAS['flows.v1']),
    };
  }

  validate(format: IngressFormat, records: readonly unknown[]): ValidationOutcome {
    const validate = this.validators[format];
    const accepted: Array<{ index: number; record: Record<string, unknown> }> = [];
    const rejected: RecordRejection[] = [];
    records.forEach((record, index) => {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        rejected.push({ index, field: '', code: 'not_an_object', message: 'Record must be a JSON object' });
        return;
      }
      if (validate(record)) accepted.push({ index, record: record as Record<string, unknown> });
      else rejected.push({ index, ...describeError(validate.errors ?? []) });
    });
    return { accepted, rejected };
  }
}

function describeError(errors: readonly ErrorObject[]): Omit<RecordRejection, 'index'> {
  // anyOf failures report their branches first; the most useful error is the last specific one.
  const error = errors.find((candidate) => candidate.keyword !== 'anyOf') ?? errors[0];
  if (!error) return { field: '', code: 'invalid_record', message: 'Record does not match the schema' };
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    const field = path ? `${path}.${missing}` : missing;
    return { field, code: 'missing_field', message: `Required field "${field}" is missing` };
  }
  return { field: path, code: `invalid_${error.keyword}`, message: `Field "${path}" ${error.message ?? 'is invalid'}` };
}
