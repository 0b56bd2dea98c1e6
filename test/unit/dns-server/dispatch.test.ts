/**
 * The dispatcher at the packet level, no sockets: the guards in their order, EDNS, fitting the
 * answer to the transport, and TSIG as RFC 8945 §5.2 wants it (which errors are signed, and how).
 * Ends with fuzzing: no input makes it throw, every answer decodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { silentLogger } from '../../../src/log/logger.ts';
import type { TsigKey } from '../../../src/dns/tsig.ts';
import { signMessage, tsigKey, verifyMessage } from '../../../src/dns/tsig.ts';
import { Opcode, RRClass, RRType, Rcode, rcodeName } from '../../../src/dns/wire/constants.ts';
import type { DecodedMessage, DnsMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import { queryMessage } from '../../../src/dns/wire/query.ts';
import type { Edns } from '../../../src/dns/wire/rdata/opt.ts';
import { readEdns } from '../../../src/dns/wire/rdata/opt.ts';
import type { TsigData } from '../../../src/dns/wire/rdata/tsig.ts';
import { encodeRecord } from '../../../src/dns/wire/record.ts';
import { updateMessage } from '../../../src/dns/wire/update.ts';
import { WireWriter } from '../../../src/dns/wire/writer.ts';
import type { Transport } from '../../../src/dns/server/answer-query.ts';
import type { DispatchContext } from '../../../src/dns/server/dispatch.ts';
import { dispatch } from '../../../src/dns/server/dispatch.ts';
import { DEFAULT_DNS_SERVER_LIMITS } from '../../../src/dns/server/limits.ts';
import type { ZoneStore } from '../../../src/dns/server/zone-store.ts';
import { BLUE_SECRET, dump, ORANGE_SECRET, storeWith } from './helpers.ts';

const NOW = 1_800_000_000;
const ORANGE_KEY = tsigKey('orange-key', 'hmac-sha256', ORANGE_SECRET);
const BLUE_KEY = tsigKey('blue-key', 'hmac-sha256', BLUE_SECRET);

const BIG_TXT = Array.from({ length: 20 }, (_, i) => `big.orange.test 60 TXT "${'x'.repeat(100)}-${i}"`);
const MANY_ADDRESSES = Array.from({ length: 40 }, (_, i) => `agent.orange.test 60 A 10.0.0.${i + 1}`);

function freshStore(): ZoneStore {
  return storeWith({
    orange: [
      'f.orange.test 60 PTR _flow._tcp.f.orange.test',
      '_flow._tcp.f.orange.test 60 SRV 10 10 61000 agent.orange.test',
      ...MANY_ADDRESSES,
      ...BIG_TXT,
    ],
  });
}

function context(store: ZoneStore, now = NOW): DispatchContext {
  return { store, limits: DEFAULT_DNS_SERVER_LIMITS, log: silentLogger(), now: () => now };
}

async function ask(packet: Uint8Array, transport: Transport = 'udp', store = freshStore(), now = NOW) {
  const bytes = await dispatch(packet, transport, context(store, now));
  return { bytes, message: bytes === undefined ? undefined : decodeMessage(bytes) };
}

function query(
  name: string,
  type: number,
  edns?: Partial<Edns>,
  extra: Partial<DnsMessage> = {},
): Uint8Array {
  return encodeMessage({ ...queryMessage({ id: 4321, name, type, ...(edns ? { edns } : {}) }), ...extra });
}

function update(zone: string, lines: { add?: string } = {}): DnsMessage {
  return updateMessage({
    id: 999,
    zone,
    prerequisites: [],
    updates: [
      {
        kind: 'add',
        record: { name: lines.add ?? `n.${zone}`, type: RRType.A, data: { kind: 'A', address: '10.9.9.9' } },
        ttl: 60,
      },
    ],
  });
}

function signed(message: DnsMessage, key: TsigKey, timeSigned = NOW): { bytes: Uint8Array; mac: Uint8Array } {
  return signMessage(encodeMessage(message), key, { timeSigned });
}

const rcodeOf = (m: DecodedMessage | undefined): string => {
  assert.ok(m, 'an answer');
  const edns = readEdns(m.additionals);
  return rcodeName(((edns?.extendedRcode ?? 0) << 4) | m.flags.rcode);
};

const tsigOf = (m: DecodedMessage | undefined): TsigData => {
  const data = m?.additionals.at(-1)?.data;
  assert.ok(data?.kind === 'TSIG', 'the answer ends with a TSIG record');
  return data;
};

/** The answer re-signed from its own TSIG fields: equal octets mean its MAC is right. */
function assertSignedOver(bytes: Uint8Array, m: DecodedMessage, key: TsigKey, requestMac: Uint8Array): void {
  const tsig = tsigOf(m);
  const unsigned = new Uint8Array(bytes.subarray(0, m.tsigOffset));
  unsigned[11] = (unsigned[11] as number) - 1;
  const again = signMessage(unsigned, key, {
    timeSigned: tsig.timeSigned,
    fudge: tsig.fudge,
    requestMac,
    error: tsig.error,
    otherData: tsig.otherData,
  });
  assert.deepEqual(Buffer.from(again.bytes), Buffer.from(bytes));
}

describe('dispatch: guards', () => {
  it('under 12 octets: dropped', async () => {
    assert.equal((await ask(new Uint8Array(11))).bytes, undefined);
    assert.equal((await ask(new Uint8Array(0))).bytes, undefined);
  });

  it('a response (QR set): dropped', async () => {
    const packet = query('f.orange.test', RRType.PTR);
    packet[2] = (packet[2] as number) | 0x80;
    assert.equal((await ask(packet)).bytes, undefined);
  });

  it('a header and garbage: FORMERR with the same ID, header only', async () => {
    const packet = Uint8Array.of(0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1);
    const { message } = await ask(packet);
    assert.equal(message?.id, 0x1234);
    assert.equal(rcodeOf(message), 'FORMERR');
    assert.ok(message?.flags.qr && message.flags.rd);
    assert.deepEqual([message.questions, message.answers, message.additionals], [[], [], []]);
  });

  it('octets after the last record: FORMERR', async () => {
    const packet = Buffer.concat([query('f.orange.test', RRType.PTR), Buffer.from([0])]);
    assert.equal(rcodeOf((await ask(new Uint8Array(packet))).message), 'FORMERR');
  });

  it('opcodes other than QUERY and UPDATE: NOTIMP', async () => {
    for (const opcode of [Opcode.NOTIFY, 1, 2, 15]) {
      const m = queryMessage({ id: 1, name: 'orange.test', type: RRType.SOA });
      const { message } = await ask(encodeMessage({ ...m, flags: { ...m.flags, opcode } }));
      assert.equal(rcodeOf(message), 'NOTIMP', `opcode ${opcode}`);
      assert.equal(message?.flags.opcode, opcode);
    }
  });

  it('QDCOUNT 0 or 2: FORMERR', async () => {
    const none = query('f.orange.test', RRType.PTR, undefined, { questions: [] });
    assert.equal(rcodeOf((await ask(none)).message), 'FORMERR');
    const q = { name: 'f.orange.test', type: RRType.PTR, class: RRClass.IN };
    const two = query('f.orange.test', RRType.PTR, undefined, { questions: [q, q] });
    assert.equal(rcodeOf((await ask(two)).message), 'FORMERR');
  });

  it('ID, RD and CD echoed; RA, AD and TC clear; AA for the zone', async () => {
    const m = queryMessage({ id: 777, name: 'f.orange.test', type: RRType.PTR, rd: true });
    const { message } = await ask(encodeMessage({ ...m, flags: { ...m.flags, cd: true, ad: true } }));
    assert.ok(message);
    assert.deepEqual(
      { ...message.flags },
      {
        qr: true,
        opcode: 0,
        aa: true,
        tc: false,
        rd: true,
        ra: false,
        z: false,
        ad: false,
        cd: true,
        rcode: 0,
      },
    );
    assert.equal(message.id, 777);
  });
});

describe('dispatch: EDNS(0)', () => {
  it('no OPT in the request, none in the answer', async () => {
    const { message } = await ask(query('f.orange.test', RRType.PTR));
    assert.equal(readEdns(message?.additionals ?? []), undefined);
  });

  it('an OPT is answered with our UDP payload size, the DO bit echoed', async () => {
    const { message } = await ask(
      query('f.orange.test', RRType.PTR, { udpPayloadSize: 4096, dnssecOk: true }),
    );
    const edns = readEdns(message?.additionals ?? []);
    assert.equal(edns?.udpPayloadSize, 1232);
    assert.equal(edns?.dnssecOk, true);
    assert.equal(edns?.version, 0);
    const plain = await ask(query('f.orange.test', RRType.PTR, { udpPayloadSize: 1400 }));
    assert.equal(readEdns(plain.message?.additionals ?? [])?.dnssecOk, false);
  });

  it('EDNS version 1: BADVERS (extended RCODE 1, header 0)', async () => {
    const { message } = await ask(query('f.orange.test', RRType.PTR, { version: 1 }));
    // BADVERS shares the number 16 with BADSIG (RFC 6891 §9, RFC 8945 §3).
    assert.equal(rcodeOf(message), rcodeName(16));
    assert.equal(message?.flags.rcode, 0);
    assert.equal(readEdns(message?.additionals ?? [])?.extendedRcode, 1);
  });

  it('two OPT records: FORMERR', async () => {
    const m = queryMessage({ id: 5, name: 'f.orange.test', type: RRType.PTR, edns: {} });
    const twice = encodeMessage({ ...m, additionals: [...m.additionals, ...m.additionals] });
    assert.equal(rcodeOf((await ask(twice)).message), 'FORMERR');
  });
});

describe('dispatch: fitting the answer to the transport', () => {
  it('over UDP without EDNS, more than 512 octets: TC, no records', async () => {
    const { bytes, message } = await ask(query('big.orange.test', RRType.TXT));
    assert.ok(bytes && bytes.length <= 512);
    assert.equal(message?.flags.tc, true);
    assert.equal(message?.flags.aa, true);
    assert.deepEqual([message?.answers.length, message?.authorities.length], [0, 0]);
    assert.equal(message?.questions[0]?.name, 'big.orange.test');
  });

  it('over UDP with EDNS 4096: at most our 1232 octets, else TC; the OPT stays', async () => {
    const { bytes, message } = await ask(query('big.orange.test', RRType.TXT, { udpPayloadSize: 4096 }));
    assert.ok(bytes && bytes.length <= 1232);
    assert.equal(message?.flags.tc, true);
    assert.equal(readEdns(message?.additionals ?? [])?.udpPayloadSize, 1232);
  });

  it('an EDNS payload size under 512 counts as 512', async () => {
    const { bytes } = await ask(query('f.orange.test', RRType.PTR, { udpPayloadSize: 100 }));
    assert.ok(bytes);
    assert.equal(decodeMessage(bytes).flags.tc, false);
  });

  it('over TCP: the whole answer', async () => {
    const { bytes, message } = await ask(query('big.orange.test', RRType.TXT), 'tcp');
    assert.ok(bytes && bytes.length > 1232);
    assert.equal(message?.flags.tc, false);
    assert.equal(message?.answers.length, 20);
  });

  it('the additional section goes first, without TC (RFC 2181 §9)', async () => {
    const udp = await ask(query('_flow._tcp.f.orange.test', RRType.SRV));
    assert.equal(udp.message?.flags.tc, false);
    assert.equal(udp.message?.answers.length, 1);
    assert.equal(udp.message?.additionals.length, 0);
    const tcp = await ask(query('_flow._tcp.f.orange.test', RRType.SRV), 'tcp');
    assert.equal(tcp.message?.additionals.length, 40);
  });
});

describe('dispatch: UPDATE and TSIG (RFC 8945 §5.2)', () => {
  it('a signed update of its own zone: NOERROR, signed over the request MAC, and then served', async () => {
    const store = freshStore();
    const request = signed(update('orange.test'), ORANGE_KEY);
    const { bytes, message } = await ask(request.bytes, 'udp', store);
    assert.ok(bytes && message);
    assert.equal(rcodeOf(message), 'NOERROR');
    assert.equal(message.flags.opcode, Opcode.UPDATE);
    assert.deepEqual(message.questions, [{ name: 'orange.test', type: RRType.SOA, class: RRClass.IN }]);
    assert.ok(verifyMessage(bytes, message, ORANGE_KEY, { now: NOW, requestMac: request.mac }).ok);
    const read = await ask(query('n.orange.test', RRType.A), 'udp', store);
    assert.deepEqual(dump(read.message?.answers ?? []), ['n.orange.test 60 A 10.9.9.9']);
    const soa = await ask(query('orange.test', RRType.SOA), 'udp', store);
    assert.match(dump(soa.message?.answers ?? [])[0] ?? '', / 11 3600 /);
  });

  it('an unsigned update: REFUSED, unsigned', async () => {
    const { message } = await ask(encodeMessage(update('orange.test')));
    assert.equal(rcodeOf(message), 'REFUSED');
    assert.equal(message?.tsigOffset, undefined);
  });

  it("a key on another participant's zone: REFUSED, signed", async () => {
    const store = freshStore();
    const request = signed(update('orange.test'), BLUE_KEY);
    const { bytes, message } = await ask(request.bytes, 'udp', store);
    assert.ok(bytes && message);
    assert.equal(rcodeOf(message), 'REFUSED');
    assert.ok(verifyMessage(bytes, message, BLUE_KEY, { now: NOW, requestMac: request.mac }).ok);
    assert.equal(
      (await ask(query('n.orange.test', RRType.A), 'udp', store)).message?.flags.rcode,
      Rcode.NXDOMAIN,
    );
  });

  it('a zone not held here: NOTAUTH, signed; a name that is not a zone apex too', async () => {
    for (const zone of ['green.test', 'f.orange.test']) {
      const request = signed(update(zone, { add: `n.${zone}` }), ORANGE_KEY);
      const { bytes, message } = await ask(request.bytes);
      assert.ok(bytes && message);
      assert.equal(rcodeOf(message), 'NOTAUTH', zone);
      assert.ok(verifyMessage(bytes, message, ORANGE_KEY, { now: NOW, requestMac: request.mac }).ok);
    }
  });

  it('a zone section of TYPE A or two zones: FORMERR', async () => {
    const m = update('orange.test');
    const typeA = signed(
      { ...m, questions: [{ name: 'orange.test', type: RRType.A, class: RRClass.IN }] },
      ORANGE_KEY,
    );
    assert.equal(rcodeOf((await ask(typeA.bytes)).message), 'FORMERR');
    const two = signed({ ...m, questions: [...m.questions, ...m.questions] }, ORANGE_KEY);
    assert.equal(rcodeOf((await ask(two.bytes)).message), 'FORMERR');
  });

  it('an unknown key: NOTAUTH, TSIG error BADKEY, empty MAC', async () => {
    const stranger = tsigKey('stranger', 'hmac-sha256', ORANGE_SECRET);
    const { message } = await ask(signed(update('orange.test'), stranger).bytes);
    assert.equal(rcodeOf(message), 'NOTAUTH');
    const tsig = tsigOf(message);
    assert.deepEqual([tsig.error, tsig.mac.length, tsig.timeSigned], [Rcode.BADKEY, 0, NOW]);
    assert.equal(message?.additionals.at(-1)?.name, 'stranger');
  });

  it('a wrong secret: NOTAUTH, TSIG error BADSIG, empty MAC; nothing applied', async () => {
    const store = freshStore();
    const forged = tsigKey('orange-key', 'hmac-sha256', BLUE_SECRET);
    const { message } = await ask(signed(update('orange.test'), forged).bytes, 'udp', store);
    assert.equal(rcodeOf(message), 'NOTAUTH');
    assert.deepEqual([tsigOf(message).error, tsigOf(message).mac.length], [Rcode.BADSIG, 0]);
    assert.equal(
      (await ask(query('n.orange.test', RRType.A), 'udp', store)).message?.flags.rcode,
      Rcode.NXDOMAIN,
    );
  });

  it('a key name in another case is the same key', async () => {
    const upper = tsigKey('ORANGE-Key', 'hmac-sha256', ORANGE_SECRET);
    const request = signed(update('orange.test'), upper);
    assert.equal(rcodeOf((await ask(request.bytes)).message), 'NOERROR');
  });

  it("a time outside the fudge: NOTAUTH, BADTIME, signed; Time Signed is the request's, Other Data ours", async () => {
    const store = freshStore();
    const request = signed(update('orange.test'), ORANGE_KEY, NOW - 1000);
    const { bytes, message } = await ask(request.bytes, 'udp', store);
    assert.ok(bytes && message);
    assert.equal(rcodeOf(message), 'NOTAUTH');
    const tsig = tsigOf(message);
    assert.equal(tsig.error, Rcode.BADTIME);
    assert.equal(tsig.timeSigned, NOW - 1000);
    assert.equal(Buffer.from(tsig.otherData).readUIntBE(0, 6), NOW);
    assert.equal(tsig.mac.length, 32);
    assertSignedOver(bytes, message, ORANGE_KEY, request.mac);
    assert.equal(
      (await ask(query('n.orange.test', RRType.A), 'udp', store)).message?.flags.rcode,
      Rcode.NXDOMAIN,
    );
  });

  it('a truncated MAC: NOTAUTH, BADTRUNC, signed', async () => {
    const request = signed(update('orange.test'), ORANGE_KEY);
    const decoded = decodeMessage(request.bytes);
    const record = decoded.additionals.at(-1);
    assert.ok(record?.data?.kind === 'TSIG');
    const w = new WireWriter();
    w.bytes(request.bytes.subarray(0, decoded.tsigOffset));
    encodeRecord(w, { ...record, data: { ...record.data, mac: record.data.mac.subarray(0, 16) } });
    const packet = w.finish();
    const { bytes, message } = await ask(packet);
    assert.ok(bytes && message);
    assert.equal(rcodeOf(message), 'NOTAUTH');
    assert.equal(tsigOf(message).error, Rcode.BADTRUNC);
    assertSignedOver(bytes, message, ORANGE_KEY, record.data.mac.subarray(0, 16));
  });

  it('a TSIG record of CLASS IN: FORMERR, unsigned', async () => {
    const request = signed(update('orange.test'), ORANGE_KEY);
    const decoded = decodeMessage(request.bytes);
    const record = decoded.additionals.at(-1);
    assert.ok(record);
    const w = new WireWriter();
    w.bytes(request.bytes.subarray(0, decoded.tsigOffset));
    encodeRecord(w, { ...record, class: RRClass.IN });
    const { message } = await ask(w.finish());
    assert.equal(rcodeOf(message), 'FORMERR');
    assert.equal(message?.tsigOffset, undefined);
  });

  it('NOTIMP and BADVERS to a verified signed request are signed too', async () => {
    const m = queryMessage({ id: 8, name: 'orange.test', type: RRType.SOA });
    const notify = signed({ ...m, flags: { ...m.flags, opcode: Opcode.NOTIFY } }, ORANGE_KEY);
    const a = await ask(notify.bytes);
    assert.ok(a.bytes && a.message);
    assert.equal(rcodeOf(a.message), 'NOTIMP');
    assert.ok(verifyMessage(a.bytes, a.message, ORANGE_KEY, { now: NOW, requestMac: notify.mac }).ok);
    const v1 = signed(
      queryMessage({ id: 9, name: 'orange.test', type: RRType.SOA, edns: { version: 1 } }),
      ORANGE_KEY,
    );
    const b = await ask(v1.bytes);
    assert.ok(b.bytes && b.message);
    assert.equal(b.message.flags.rcode, 0);
    assert.equal(readEdns(b.message.additionals)?.extendedRcode, 1);
    assert.ok(verifyMessage(b.bytes, b.message, ORANGE_KEY, { now: NOW, requestMac: v1.mac }).ok);
  });

  it('a signed query: answered and signed', async () => {
    const request = signed(queryMessage({ id: 3, name: 'f.orange.test', type: RRType.PTR }), BLUE_KEY);
    const { bytes, message } = await ask(request.bytes);
    assert.ok(bytes && message);
    assert.equal(message.answers.length, 1);
    assert.ok(verifyMessage(bytes, message, BLUE_KEY, { now: NOW, requestMac: request.mac }).ok);
  });

  it('a signed answer that must be truncated is signed as truncated', async () => {
    const request = signed(queryMessage({ id: 3, name: 'big.orange.test', type: RRType.TXT }), ORANGE_KEY);
    const { bytes, message } = await ask(request.bytes);
    assert.ok(bytes && message && bytes.length <= 512);
    assert.equal(message.flags.tc, true);
    assert.ok(verifyMessage(bytes, message, ORANGE_KEY, { now: NOW, requestMac: request.mac }).ok);
  });
});

describe('dispatch: fuzzing', () => {
  const seeds = [
    query('f.orange.test', RRType.PTR, { udpPayloadSize: 1232 }),
    query('big.orange.test', RRType.TXT),
    signed(update('orange.test'), ORANGE_KEY).bytes,
    signed(queryMessage({ id: 3, name: '_flow._tcp.f.orange.test', type: RRType.SRV }), BLUE_KEY).bytes,
  ];
  const store = freshStore();

  async function answersSanely(packet: Uint8Array, transport: Transport): Promise<void> {
    const bytes = await dispatch(packet, transport, context(store));
    if (bytes === undefined) return;
    const m = decodeMessage(bytes);
    assert.ok(m.flags.qr);
    assert.equal(m.id, ((packet[0] as number) << 8) | (packet[1] as number));
    if (transport === 'udp') assert.ok(bytes.length <= 1232);
  }

  it('random octets: never throws; any answer decodes, has QR and the request ID', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom<Transport>('udp', 'tcp'),
        answersSanely,
      ),
      { numRuns: 2000 },
    );
  });

  it('valid requests with octets changed, cut or added: the same', async () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
      )
      .map(([seed, flips, cut]) => {
        const out = new Uint8Array(seed);
        for (const [at, value] of flips) out[at % out.length] = value;
        return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
      });
    await fc.assert(fc.asyncProperty(mutated, fc.constantFrom<Transport>('udp', 'tcp'), answersSanely), {
      numRuns: 3000,
    });
  });

  it('every header flag combination on a valid query', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffff }), async (flags) => {
        const packet = new Uint8Array(seeds[0] as Uint8Array);
        packet[2] = flags >>> 8;
        packet[3] = flags & 0xff;
        await answersSanely(packet, 'udp');
      }),
      { numRuns: 1000 },
    );
  });
});
