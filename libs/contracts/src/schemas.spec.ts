import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { buildSchemaFiles, renderSchemaFile, schemasDirectory } from '../../../scripts/generate-schemas';

/**
 * The JSON Schema files under libs/contracts/schemas/ are what external producers and consumers
 * read. They must say exactly what the contracts say, and their examples must be valid.
 */
const files = buildSchemaFiles();
const dir = schemasDirectory();

function compile(schema: object) {
  return new Ajv2020({ strict: false, allErrors: true }).compile(schema);
}

function committed(fileName: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(dir, fileName), 'utf8')) as Record<string, unknown>;
}

/** Records that must fail, per file: each names why. */
const INVALID_EXAMPLES: Record<string, Array<{ why: string; value: unknown }>> = {
  'zeek.conn.v1.schema.json': [
    { why: 'no responder address', value: { ts: 1732291200.1, 'id.orig_h': '10.0.0.1', 'id.orig_p': 1234, 'id.resp_p': 53 } },
    { why: 'no ts', value: { 'id.orig_h': '10.0.0.1', 'id.resp_h': '8.8.8.8' } },
    { why: 'a nested id without resp_h', value: { ts: 1732291200.1, id: { orig_h: '10.0.0.1', orig_p: 1234 } } },
    { why: 'a port above 65535', value: { ts: 1732291200.1, 'id.orig_h': '10.0.0.1', 'id.resp_h': '8.8.8.8', 'id.resp_p': 70000 } },
    { why: 'not an object', value: [{ ts: 1732291200.1, 'id.orig_h': '10.0.0.1', 'id.resp_h': '8.8.8.8' }] },
  ],
  'flows.v1.schema.json': [
    {
      why: 'no destination address (goflow2 spelling)',
      value: { TimeFlowStartNs: 1732291206000000000, SrcAddr: '10.1.2.4', SrcPort: 53000, DstPort: 53, Proto: 17 },
    },
    { why: 'no source address', value: { ts: 1732288805, dst_ip: '8.8.8.8' } },
    { why: 'no timestamp under any spelling', value: { sourceIPv4Address: '10.30.0.8', destinationIPv4Address: '8.8.8.8' } },
    { why: 'a negative byte count', value: { ts: 1732288805, src_ip: '10.1.2.3', dst_ip: '8.8.8.8', bytes: -1 } },
    { why: 'a protocol number above 255', value: { ts: 1732288805, src_ip: '10.1.2.3', dst_ip: '8.8.8.8', protocolIdentifier: 300 } },
  ],
  'ingress-headers.v1.schema.json': [
    { why: 'a traceparent that is not W3C', value: { traceparent: 'not-a-trace' } },
    { why: 'an all-zero trace id', value: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } },
    { why: 'uppercase hex in traceparent', value: { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01' } },
    { why: 'an empty tenant id', value: { 'tenant-id': '' } },
    { why: 'a tenant id over 128 characters', value: { 'tenant-id': 'a'.repeat(129) } },
    { why: 'a collector id with a line break', value: { 'collector-id': 'zeek\nsensor' } },
    { why: 'an unknown format', value: { format: 'sflow' } },
    { why: 'a received-at without an offset', value: { 'received-at': '2024-11-22T16:00:31' } },
  ],
  'enriched.v1.schema.json': [
    { why: 'a risk score above 100', value: { ...exampleOf('enriched.v1.schema.json'), risk_score: 150 } },
    { why: 'no tenant', value: withoutKey(exampleOf('enriched.v1.schema.json'), 'tenant_id') },
    { why: 'another schema version', value: { ...exampleOf('enriched.v1.schema.json'), schema_version: 2 } },
  ],
};

function exampleOf(fileName: string): Record<string, unknown> {
  const file = buildSchemaFiles().find((candidate) => candidate.fileName === fileName);
  return (file!.schema.examples as Array<Record<string, unknown>>)[0];
}

/** The first line where the committed file and the generated one differ, for the failure message. */
function firstDifference(committedText: string, expected: string): string {
  const have = committedText.split('\n');
  const want = expected.split('\n');
  const line = have.findIndex((text, index) => text !== want[index]);
  const at = line === -1 ? have.length : line;
  return `First difference at line ${at + 1}:\n  committed: ${have[at] ?? '(end of file)'}\n  generated: ${want[at] ?? '(end of file)'}`;
}

function withoutKey(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

describe('published JSON Schemas (libs/contracts/schemas)', () => {
  it('publishes exactly the four contract files, no stale ones', () => {
    const onDisk = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
    expect(onDisk).toEqual(files.map((file) => file.fileName).sort());
  });

  describe.each(files.map((file) => [file.fileName, file] as const))('%s', (fileName, file) => {
    it('equals what the contracts export today', () => {
      const target = path.join(dir, fileName);
      const text = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
      const expected = renderSchemaFile(file);
      if (text !== expected) {
        throw new Error(
          `libs/contracts/schemas/${fileName} is out of date with libs/contracts/src: run \`npm run schemas\` and commit the result.\n` +
            (text === null ? 'The file is missing.' : firstDifference(text, expected)),
        );
      }
    });

    it('declares draft 2020-12, a title, a description and examples', () => {
      const schema = committed(fileName);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(typeof schema.title).toBe('string');
      expect(typeof schema.description).toBe('string');
      expect(Array.isArray(schema.examples) && schema.examples.length > 0).toBe(true);
    });

    it('accepts each of its examples', () => {
      const schema = committed(fileName);
      const validate = compile(schema);
      for (const example of schema.examples as unknown[]) {
        const valid = validate(example);
        expect({ example, errors: valid ? null : validate.errors }).toEqual({ example, errors: null });
      }
    });

    it.each(INVALID_EXAMPLES[fileName].map((invalid) => [invalid.why, invalid.value] as const))('rejects %s', (_why, value) => {
      const validate = compile(committed(fileName));
      expect(validate(value)).toBe(false);
    });
  });
});
