import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { registerFlowRequest, updateFlowRequest } from '../../../src/adapters/dns/rfc2136/flow-updates.ts';
import type { TsigKey, TsigVerification } from '../../../src/dns/tsig.ts';
import { parseTsigKeyFile, signMessage, tsigKey, verifyMessage } from '../../../src/dns/tsig.ts';
import { Rcode, RRType } from '../../../src/dns/wire/constants.ts';
import { QUERY_FLAGS } from '../../../src/dns/wire/header.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import { updateMessage } from '../../../src/dns/wire/update.ts';
import { fromHex, GOLDEN, GOLDEN_REGISTRATION, hex } from './helpers.ts';

const KEY = tsigKey(GOLDEN.keyName, 'hmac-sha256', GOLDEN.secret);
const T = GOLDEN.timeSigned;

const verify = (packet: Uint8Array, key: TsigKey, now: number, requestMac?: Uint8Array): TsigVerification =>
  verifyMessage(packet, decodeMessage(packet), key, { now, ...(requestMac ? { requestMac } : {}) });

const codeOf = (v: TsigVerification): string => (v.ok ? 'ok' : v.code);

describe('TSIG golden vectors (dnspython 2.9.2, HMAC-SHA256, fudge 300)', () => {
  it('signs the registerFlow UPDATE to the same octets and MAC', () => {
    const unsigned = encodeMessage(
      updateMessage(registerFlowRequest('orange.test', GOLDEN_REGISTRATION, GOLDEN.register.id)),
    );
    assert.equal(hex(unsigned), GOLDEN.register.unsigned);
    const signed = signMessage(unsigned, KEY, { timeSigned: T });
    assert.equal(hex(signed.mac), GOLDEN.register.mac);
    assert.equal(hex(signed.bytes), GOLDEN.register.signed);
  });

  it('signs the updateFlow UPDATE (delete RRsets, add records) to the same octets', () => {
    const unsigned = encodeMessage(
      updateMessage(updateFlowRequest('orange.test', GOLDEN_REGISTRATION, GOLDEN.update.id)),
    );
    const signed = signMessage(unsigned, KEY, { timeSigned: T, fudge: 300 });
    assert.equal(hex(signed.mac), GOLDEN.update.mac);
    assert.equal(hex(signed.bytes), GOLDEN.update.signed);
  });

  it("verifies dnspython's signature of a request", () => {
    const v = verify(fromHex(GOLDEN.register.signed), KEY, T + 299);
    assert.ok(v.ok);
    assert.equal(hex(v.tsig.mac), GOLDEN.register.mac);
    assert.equal(v.tsig.originalId, GOLDEN.register.id);
  });

  it("verifies dnspython's signed response over the request MAC (RFC 8945 §4.3.1)", () => {
    const v = verify(fromHex(GOLDEN.registerResponse.signed), KEY, T, fromHex(GOLDEN.register.mac));
    assert.ok(v.ok);
    assert.equal(hex(v.tsig.mac), GOLDEN.registerResponse.mac);
    const yx = fromHex(GOLDEN.registerYxrrset.signed);
    assert.ok(verify(yx, KEY, T, fromHex(GOLDEN.register.mac)).ok);
    assert.equal(decodeMessage(yx).flags.rcode, Rcode.YXRRSET);
  });

  it('signs a response over the request MAC as dnspython does', () => {
    const response = fromHex(GOLDEN.registerResponse.signed);
    const unsigned = response.subarray(0, decodeMessage(response).tsigOffset);
    const arcountFixed = new Uint8Array(unsigned);
    arcountFixed[11] = (arcountFixed[11] as number) - 1;
    const signed = signMessage(arcountFixed, KEY, {
      timeSigned: T,
      requestMac: fromHex(GOLDEN.register.mac),
    });
    assert.equal(hex(signed.bytes), GOLDEN.registerResponse.signed);
  });
});

describe('TSIG verification failures', () => {
  const request = fromHex(GOLDEN.register.signed);
  const response = fromHex(GOLDEN.registerResponse.signed);
  const requestMac = fromHex(GOLDEN.register.mac);

  it('another secret: BADSIG', () => {
    const other = tsigKey(GOLDEN.keyName, 'hmac-sha256', Buffer.alloc(32, 1).toString('base64'));
    assert.equal(codeOf(verify(request, other, T)), 'BADSIG');
  });

  it('another key name: BADKEY', () => {
    assert.equal(codeOf(verify(request, { ...KEY, name: 'other.key' }, T)), 'BADKEY');
  });

  it('the key name in another case still matches (names are case-insensitive)', () => {
    assert.ok(verify(request, { ...KEY, name: 'WRITER.Key' }, T).ok);
  });

  it('a response checked without the request MAC, or with another: BADSIG', () => {
    assert.equal(codeOf(verify(response, KEY, T)), 'BADSIG');
    assert.equal(codeOf(verify(response, KEY, T, new Uint8Array(32))), 'BADSIG');
    assert.equal(codeOf(verify(response, KEY, T, requestMac)), 'ok');
  });

  it('one octet changed anywhere before the TSIG: BADSIG', () => {
    const tsigAt = decodeMessage(request).tsigOffset ?? 0;
    for (const at of [2, 3, 13, 40, tsigAt - 1]) {
      const tampered = new Uint8Array(request);
      tampered[at] = (tampered[at] as number) ^ 0x01;
      let v: TsigVerification;
      try {
        v = verify(tampered, KEY, T);
      } catch {
        continue; // the change made the message undecodable, which is a failure too
      }
      assert.equal(codeOf(v), 'BADSIG', `octet ${at}`);
    }
  });

  it('the ID rewritten (as a forwarder may): still verifies, Original ID is what is signed', () => {
    const forwarded = new Uint8Array(request);
    forwarded[0] = 0x99;
    forwarded[1] = 0x99;
    assert.ok(verify(forwarded, KEY, T).ok);
  });

  it('time outside the fudge: BADTIME, on either side, after the MAC verified', () => {
    assert.ok(verify(request, KEY, T + 300).ok);
    assert.ok(verify(request, KEY, T - 300).ok);
    assert.equal(codeOf(verify(request, KEY, T + 301)), 'BADTIME');
    assert.equal(codeOf(verify(request, KEY, T - 301)), 'BADTIME');
  });

  it('a truncated MAC: BADTRUNC; a MAC under 16 octets: FORMERR', () => {
    const unsigned = fromHex(GOLDEN.register.unsigned);
    const signed = signMessage(unsigned, KEY, { timeSigned: T });
    const m = decodeMessage(signed.bytes);
    const resign = (length: number): Uint8Array => {
      const tsig = m.additionals.at(-1);
      assert.ok(tsig?.data?.kind === 'TSIG');
      return encodeMessage({
        ...m,
        additionals: [{ ...tsig, data: { ...tsig.data, mac: tsig.data.mac.subarray(0, length) } }],
      });
    };
    assert.equal(codeOf(verify(resign(20), KEY, T)), 'BADTRUNC');
    assert.equal(codeOf(verify(resign(8), KEY, T)), 'FORMERR');
  });

  it('no TSIG record: missing', () => {
    assert.equal(codeOf(verify(fromHex(GOLDEN.register.unsigned), KEY, T)), 'missing');
  });

  it('a TSIG with another class: FORMERR', () => {
    const m = decodeMessage(request);
    const tsig = m.additionals.at(-1);
    assert.ok(tsig);
    const bad = encodeMessage({ ...m, additionals: [{ ...tsig, class: 1 }] });
    assert.equal(codeOf(verify(bad, KEY, T)), 'FORMERR');
  });

  const peerErrors: readonly [string, number][] = [
    ['BADSIG', Rcode.BADSIG],
    ['BADKEY', Rcode.BADKEY],
    ['BADTIME', Rcode.BADTIME],
    ['BADTRUNC', Rcode.BADTRUNC],
  ];
  for (const [name, code] of peerErrors) {
    it(`the server's TSIG error ${name} (${code}) is reported as the peer's`, () => {
      const answer = encodeMessage({
        id: 1,
        flags: { ...QUERY_FLAGS, qr: true, opcode: 5, rcode: Rcode.NOTAUTH },
        questions: [{ name: 'orange.test', type: RRType.SOA, class: 1 }],
        answers: [],
        authorities: [],
        additionals: [],
      });
      const serverTime = T + 1000;
      const otherData = new Uint8Array(code === Rcode.BADTIME ? 6 : 0);
      if (code === Rcode.BADTIME) Buffer.from(otherData.buffer).writeUIntBE(serverTime, 0, 6);
      const signed = signMessage(answer, KEY, { timeSigned: T, error: code, otherData });
      const v = verify(signed.bytes, KEY, T);
      assert.ok(!v.ok && v.code === 'peer-error');
      assert.equal(v.error, code);
      assert.equal(v.peerTime, code === Rcode.BADTIME ? serverTime : undefined);
    });
  }
});

describe('TSIG keys', () => {
  const KEYGEN_OUTPUT =
    'key "writer.key" {\n\talgorithm hmac-sha256;\n\tsecret "VkV/MHkcr5ZS8MtUfFCchw+V9bb73DHoRGWSspvIXNg=";\n};\n';

  it('reads the key clause tsig-keygen prints', () => {
    const [key, ...rest] = parseTsigKeyFile(KEYGEN_OUTPUT);
    assert.equal(rest.length, 0);
    assert.equal(key?.name, 'writer.key');
    assert.equal(key?.algorithm, 'hmac-sha256');
    assert.equal(Buffer.from(key?.secret ?? []).toString('base64'), GOLDEN.secret);
  });

  it('reads several clauses, with comments', () => {
    const text = `# generated\n${KEYGEN_OUTPUT}/* second */\nkey "b.key" { algorithm HMAC-SHA256; secret "AAAA"; };\n`;
    assert.deepEqual(
      parseTsigKeyFile(text).map((k) => k.name),
      ['writer.key', 'b.key'],
    );
  });

  const bad: readonly [string, () => unknown][] = [
    ['another algorithm', () => parseTsigKeyFile('key "k" { algorithm hmac-md5; secret "AAAA"; };')],
    ['no secret', () => parseTsigKeyFile('key "k" { algorithm hmac-sha256; };')],
    ['no key clause', () => parseTsigKeyFile('options { };')],
    ['a secret that is not base64', () => tsigKey('k', 'hmac-sha256', 'not base64!')],
    ['an empty secret', () => tsigKey('k', 'hmac-sha256', '')],
    ['a key name that is not a name', () => tsigKey('a..b', 'hmac-sha256', 'AAAA')],
  ];
  for (const [title, fn] of bad) {
    it(`refuses ${title} with an invalid-argument error`, () => {
      assert.throws(fn, (error: unknown) => error instanceof EsonError && error.kind === 'invalid-argument');
    });
  }
});
