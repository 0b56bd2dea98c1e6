import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FileRegionReader,
  RECORD_HEADER_BYTES,
  decodeHeader,
  encodeRecord,
  parseSegmentFileName,
  payloadIsWellFormed,
  scanSegment,
  segmentFileName,
} from '../../../src/adapters/broker/embedded/log-format.ts';
import type { ScannedRecord } from '../../../src/adapters/broker/embedded/log-format.ts';

describe('log format', () => {
  it('encodes a header that decodes to the same fields', () => {
    const record = encodeRecord(['{"a":1}', '{"b":"é"}'], 1234, 1_700_000_000_123);
    const header = decodeHeader(record.subarray(0, RECORD_HEADER_BYTES), 1 << 20);
    assert.ok(typeof header !== 'string');
    assert.equal(header.base, 1234);
    assert.equal(header.count, 2);
    assert.equal(header.appendedAt, 1_700_000_000_123);
    assert.equal(header.payloadLength, record.length - RECORD_HEADER_BYTES);
    assert.ok(payloadIsWellFormed(record.subarray(RECORD_HEADER_BYTES), 2));
    assert.ok(!payloadIsWellFormed(record.subarray(RECORD_HEADER_BYTES), 3));
    assert.equal(
      decodeHeader(record.subarray(0, RECORD_HEADER_BYTES), 4),
      'payload length 25 over the limit',
    );
  });

  it('names segment files by base position, sorting by name', () => {
    assert.equal(segmentFileName(42), '00000000000000000042.seg');
    assert.equal(parseSegmentFileName('00000000000000000042.seg'), 42);
    assert.equal(parseSegmentFileName('42.seg'), undefined);
    assert.equal(parseSegmentFileName('consumers.json'), undefined);
  });

  it('reads and scans through buffers of any size', async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eson-log-format-'));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'segment');
    const batches = fc.array(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(batches, fc.integer({ min: 1, max: 700 }), async (input, chunkBytes) => {
        const records: Buffer[] = [];
        let base = 10;
        for (const batch of input) {
          records.push(encodeRecord(batch, base, 1000 + base));
          base += batch.length;
        }
        const bytes = Buffer.concat(records);
        await fs.writeFile(file, bytes);
        const handle = await fs.open(file, 'r');
        try {
          const scanned: ScannedRecord[] = [];
          const result = await scanSegment(
            handle,
            bytes.length,
            10,
            { maxPayloadBytes: 1 << 20, chunkBytes },
            (r) => scanned.push(r),
          );
          assert.deepEqual(result, { validBytes: bytes.length, problem: undefined });
          assert.equal(scanned.length, input.length);
          // Every event back, in order, through the reader alone.
          const reader = new FileRegionReader(handle, 0, bytes.length, chunkBytes);
          for (const batch of input) {
            const header = await reader.take(RECORD_HEADER_BYTES);
            assert.ok(header !== undefined);
            for (const expected of batch) {
              const length = (await reader.take(4))?.readUInt32BE(0);
              assert.ok(length !== undefined);
              assert.equal(
                (await reader.take(length))?.toString('utf8'),
                Buffer.from(expected, 'utf8').toString(),
              );
            }
          }
          assert.equal(await reader.take(1), undefined);
        } finally {
          await handle.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
