import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Base64Error, decodeBase64Strict, encodeBase64 } from '../../../src/auth/base64.ts';
import { EsonError } from '../../../src/core/errors.ts';

describe('decodeBase64Strict', () => {
  it('decodes the RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['Zg==', 'f'],
      ['Zm8=', 'fo'],
      ['Zm9v', 'foo'],
      ['Zm9vYg==', 'foob'],
      ['Zm9vYmE=', 'fooba'],
      ['Zm9vYmFy', 'foobar'],
    ];
    for (const [encoded, decoded] of vectors) {
      assert.equal(decodeBase64Strict(encoded).toString('latin1'), decoded, encoded);
      assert.equal(encodeBase64(Buffer.from(decoded, 'latin1')), encoded);
    }
  });

  it('decodes "" to an empty buffer', () => {
    const empty = decodeBase64Strict('');
    assert.ok(Buffer.isBuffer(empty));
    assert.equal(empty.length, 0);
  });

  it('decodes the whole alphabet', () => {
    const all = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    assert.equal(encodeBase64(decodeBase64Strict(all)), all);
  });

  it('rejects malformed input with a typed error', () => {
    const cases: [string, RegExp][] = [
      ['Zg', /multiple of 4/],
      ['Zg=', /multiple of 4/],
      ['Zm9vY', /multiple of 4/],
      ['Zm9v\r\n', /outside the alphabet at offset 4/],
      ['Zm 9v', /outside the alphabet at offset 2/],
      ['Zm9v-_==', /outside the alphabet/], // base64url is another alphabet
      ['Zm9vé===', /outside the alphabet/],
      ['Zm9v\0', /outside the alphabet/],
      ['====', /padding/],
      ['Z===', /padding/],
      ['=Zg=', /padding/],
      ['Zg=a', /padding/],
      ['Zm8=Zm8=', /padding/],
      ['Zh==', /non-zero bits/], // decodes like "Zg==" leniently
      ['Zm9=', /non-zero bits/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => decodeBase64Strict(input),
        (error: unknown) =>
          error instanceof Base64Error &&
          error instanceof EsonError &&
          error.kind === 'invalid-argument' &&
          message.test(error.message),
        JSON.stringify(input),
      );
    }
  });

  it('never echoes the input in its message', () => {
    assert.throws(
      () => decodeBase64Strict('secret!!'),
      (error: unknown) => {
        assert.ok(error instanceof Base64Error);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
  });
});

describe('encodeBase64', () => {
  it('encodes only the view it is given', () => {
    const backing = Buffer.from('xxfooxx');
    assert.equal(encodeBase64(backing.subarray(2, 5)), 'Zm9v');
    assert.equal(encodeBase64(new Uint8Array([0xff, 0xfe])), '//4=');
  });
});
