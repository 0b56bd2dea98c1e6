import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { tsigKey, verifyMessage } from '../../../src/dns/tsig.ts';
import { RRClass, RRType } from '../../../src/dns/wire/constants.ts';
import { DnsWireError } from '../../../src/dns/wire/errors.ts';
import type { HeaderFlags } from '../../../src/dns/wire/header.ts';
import type { DnsMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import { formatName } from '../../../src/dns/wire/name.ts';
import { formatIpv6 } from '../../../src/dns/wire/rdata/aaaa.ts';
import type { RData, WireRecord } from '../../../src/dns/wire/record.ts';
import { readUpdate } from '../../../src/dns/wire/update.ts';
import { fromHex, GOLDEN } from './helpers.ts';

const KEY = tsigKey(GOLDEN.keyName, 'hmac-sha256', GOLDEN.secret);

/** Decoding anything either succeeds or raises DnsWireError; so do the readers built on it. */
function decodesOrWireError(packet: Uint8Array): void {
  let m;
  try {
    m = decodeMessage(packet);
  } catch (error) {
    if (!(error instanceof DnsWireError)) throw error;
    return;
  }
  try {
    readUpdate(m);
  } catch (error) {
    if (!(error instanceof DnsWireError)) throw error;
  }
  // Verification returns a verdict; it never throws on hostile input.
  verifyMessage(packet, m, KEY, { now: GOLDEN.timeSigned, requestMac: new Uint8Array(32) });
}

const SEEDS = [
  GOLDEN.register.signed,
  GOLDEN.update.signed,
  GOLDEN.registerResponse.signed,
  GOLDEN.registerYxrrset.signed,
  GOLDEN.querySrvDo.wire,
].map(fromHex);

/** Records with an ordinary prototype, so that deepEqual compares them with decoded ones. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true });

const label = fc.uint8Array({ minLength: 1, maxLength: 12 });
/** Names from arbitrary octets, in the codec's own text form; few distinct ones, so compression kicks in. */
const name = fc.oneof(
  fc.array(label, { maxLength: 4 }).map(formatName),
  fc.constantFrom('', 'orange.test', 'a.orange.test', '_flow._tcp.a.orange.test', 'Orange.TEST'),
);

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const rdataOf: Record<number, fc.Arbitrary<RData>> = {
  [RRType.A]: fc
    .uint8Array({ minLength: 4, maxLength: 4 })
    .map((b) => ({ kind: 'A', address: Array.from(b).join('.') })),
  [RRType.AAAA]: fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((b) => ({ kind: 'AAAA', address: formatIpv6(b) })),
  [RRType.NS]: name.map((target) => ({ kind: 'NS', target })),
  [RRType.PTR]: name.map((target) => ({ kind: 'PTR', target })),
  [RRType.SRV]: rec({
    kind: fc.constant('SRV' as const),
    priority: u16,
    weight: u16,
    port: u16,
    target: name,
  }),
  [RRType.TXT]: fc
    .array(bytes(255), { minLength: 1, maxLength: 4 })
    .map((strings) => ({ kind: 'TXT', strings })),
  [RRType.SOA]: rec({
    kind: fc.constant('SOA' as const),
    mname: name,
    rname: name,
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
  }),
  [RRType.RRSIG]: rec({
    kind: fc.constant('RRSIG' as const),
    typeCovered: u16,
    algorithm: fc.integer({ min: 0, max: 255 }),
    labels: fc.integer({ min: 0, max: 255 }),
    originalTtl: u32,
    expiration: u32,
    inception: u32,
    keyTag: u16,
    signerName: name,
    signature: bytes(80),
  }),
  65: bytes(40)
    .filter((b) => b.length > 0)
    .map((b) => ({ kind: 'UNKNOWN', bytes: b })),
};

const TYPES = Object.keys(rdataOf).map(Number);

const record: fc.Arbitrary<WireRecord> = fc
  .record({
    name,
    type: fc.constantFrom(...TYPES),
    class: fc.constantFrom<number>(RRClass.IN, RRClass.ANY, RRClass.NONE),
    ttl: u32,
    empty: fc.boolean(),
  })
  .chain(({ empty, ...rest }) =>
    (empty ? fc.constant(null) : (rdataOf[rest.type] as fc.Arbitrary<RData>)).map((data) => ({
      ...rest,
      data,
    })),
  );

const tsigRecord: fc.Arbitrary<WireRecord> = rec({
  name,
  type: fc.constant(RRType.TSIG),
  class: fc.constant(RRClass.ANY),
  ttl: fc.constant(0),
  data: rec({
    kind: fc.constant('TSIG' as const),
    algorithm: name,
    timeSigned: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    fudge: u16,
    mac: bytes(40),
    originalId: u16,
    error: u16,
    otherData: bytes(8),
  }),
});

const optRecord: fc.Arbitrary<WireRecord> = rec({
  name: fc.constant(''),
  type: fc.constant(RRType.OPT),
  class: u16,
  ttl: u32,
  data: rec({
    kind: fc.constant('OPT' as const),
    options: fc.array(rec({ code: u16, data: bytes(12) }), { maxLength: 3 }),
  }),
});

const flags: fc.Arbitrary<HeaderFlags> = rec({
  qr: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  aa: fc.boolean(),
  tc: fc.boolean(),
  rd: fc.boolean(),
  ra: fc.boolean(),
  z: fc.boolean(),
  ad: fc.boolean(),
  cd: fc.boolean(),
  rcode: fc.integer({ min: 0, max: 15 }),
});

const messageArb: fc.Arbitrary<DnsMessage> = fc
  .record({
    id: u16,
    flags,
    questions: fc.array(rec({ name, type: u16, class: u16 }), { maxLength: 2 }),
    answers: fc.array(record, { maxLength: 6 }),
    authorities: fc.array(record, { maxLength: 6 }),
    extra: fc.array(record, { maxLength: 3 }),
    opt: fc.option(optRecord, { nil: undefined }),
    tsig: fc.option(tsigRecord, { nil: undefined }),
  })
  .map(({ extra, opt, tsig, ...m }) => ({
    ...m,
    additionals: [...extra, ...(opt ? [opt] : []), ...(tsig ? [tsig] : [])],
  }));

describe('decoder fuzzing', () => {
  it('arbitrary octets: a message or DnsWireError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => decodesOrWireError(b)),
      { numRuns: 3000 },
    );
  });

  it('arbitrary octets after a plausible header', () => {
    const header = fc.tuple(
      u16,
      u16,
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 3 }),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), ([id, fl, qd, an, ns, ar], body) => {
        const packet = new Uint8Array(12 + body.length);
        const view = new DataView(packet.buffer);
        [id, fl, qd, an, ns, ar].forEach((v, i) => view.setUint16(2 * i, v));
        packet.set(body, 12);
        decodesOrWireError(packet);
      }),
      { numRuns: 3000 },
    );
  });

  it('valid messages with octets changed, cut or inserted', () => {
    const mutation = rec({
      seed: fc.constantFrom(...SEEDS),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      insert: fc.option(fc.tuple(fc.nat(), bytes(6)), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut, insert }) => {
        let packet = new Uint8Array(seed);
        for (const [at, value] of edits) packet[at % packet.length] = value;
        if (insert) {
          const at = insert[0] % packet.length;
          packet = Uint8Array.from([...packet.subarray(0, at), ...insert[1], ...packet.subarray(at)]);
        }
        if (cut !== undefined) packet = packet.subarray(0, cut % (packet.length + 1));
        decodesOrWireError(packet);
      }),
      { numRuns: 5000 },
    );
  });

  it('generated messages survive encode then decode unchanged, and their mutations decode or fail typed', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, value) => {
        const encoded = encodeMessage(m);
        const { tsigOffset, ...decoded } = decodeMessage(encoded);
        assert.deepEqual(decoded, m);
        assert.equal(tsigOffset !== undefined, m.additionals.at(-1)?.type === RRType.TSIG);
        assert.deepEqual(encodeMessage(decoded), encoded);
        const mutated = new Uint8Array(encoded);
        mutated[at % mutated.length] = value;
        decodesOrWireError(mutated);
      }),
      { numRuns: 1500 },
    );
  });
});
