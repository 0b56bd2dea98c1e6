import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { createScramClient, SaslClientError } from '../../../src/auth/sasl/client.ts';
import { AUTHENTICATION_FAILED } from '../../../src/auth/sasl/mechanism.ts';
import type { SaslContext, SaslStep } from '../../../src/auth/sasl/mechanism.ts';
import {
  authMessage,
  decodeSaslname,
  encodeSaslname,
  scramSha256Mechanism,
  xor,
} from '../../../src/auth/sasl/scram-sha-256.ts';
import {
  deriveScramCredential,
  hmacSha256,
  saltPassword,
  SCRAM_DEFAULT_ITERATIONS,
  scramKeys,
} from '../../../src/auth/scram-credential.ts';
import { challengeData, challengeText, RFC7677, RFC7677_CREDENTIAL, testContext, utf8 } from './helpers.ts';

const fixedNonce = (): string => RFC7677.serverNonce;
const rfcContext = (disabled = false): ReturnType<typeof testContext> =>
  testContext({ user: { credential: RFC7677_CREDENTIAL, disabled } }, fixedNonce);

/** A client-final-message computed from RFC 5802 §3 directly, for any gs2 header. */
function clientFinalFor(
  gs2Header: string,
  clientFirstBare: string,
  serverFirst: string,
  password: string,
): string {
  const [nonceField = '', saltField = '', iterationField = ''] = serverFirst.split(',');
  const salted = saltPassword(
    password,
    Buffer.from(saltField.slice(2), 'base64'),
    Number(iterationField.slice(2)),
  );
  const { clientKey, storedKey } = scramKeys(salted);
  const withoutProof = `c=${Buffer.from(gs2Header).toString('base64')},${nonceField}`;
  const proof = xor(
    clientKey,
    hmacSha256(storedKey, authMessage(clientFirstBare, serverFirst, withoutProof)),
  );
  return `${withoutProof},p=${proof.toString('base64')}`;
}

/** Runs a whole exchange with the project's client; returns the last server step. */
async function runExchange(ctx: SaslContext, user: string, password: string): Promise<SaslStep> {
  const client = createScramClient(user, password);
  const exchange = scramSha256Mechanism.start(ctx);
  const serverFirst = challengeData(await exchange.step(client.first()));
  const afterFinal = await exchange.step(client.final(serverFirst));
  if (afterFinal.kind !== 'challenge') return afterFinal;
  client.verifyServer(afterFinal.data);
  return exchange.step(Buffer.alloc(0));
}

describe('SCRAM-SHA-256 server, RFC 7677 §3 test vector', () => {
  it('replays the exchange byte for byte', async () => {
    const ctx = rfcContext();
    const exchange = scramSha256Mechanism.start(ctx);
    assert.equal(challengeText(await exchange.step(utf8(RFC7677.clientFirst))), RFC7677.serverFirst);
    assert.equal(challengeText(await exchange.step(utf8(RFC7677.clientFinal))), RFC7677.serverFinal);
    assert.deepEqual(await exchange.step(Buffer.alloc(0)), {
      kind: 'success',
      identity: { kind: 'user', name: 'user' },
    });
    assert.deepEqual(ctx.lookedUp, ['user']);
  });

  it('sends an empty challenge when the client gave no initial response', async () => {
    const exchange = scramSha256Mechanism.start(rfcContext());
    assert.equal(challengeData(await exchange.step(null)).length, 0);
    assert.equal(challengeText(await exchange.step(utf8(RFC7677.clientFirst))), RFC7677.serverFirst);
    assert.equal(challengeText(await exchange.step(utf8(RFC7677.clientFinal))), RFC7677.serverFinal);
    assert.equal((await exchange.step(Buffer.alloc(0))).kind, 'success');
  });

  it('uses a fresh random server nonce by default', async () => {
    const ctx = testContext({ user: { credential: RFC7677_CREDENTIAL } });
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      const serverFirst = challengeText(
        await scramSha256Mechanism.start(ctx).step(utf8(RFC7677.clientFirst)),
      );
      const nonce = /^r=([^,]+),/.exec(serverFirst)?.[1] ?? '';
      assert.ok(nonce.startsWith(RFC7677.clientNonce) && nonce.length > RFC7677.clientNonce.length + 16);
      nonces.add(nonce);
    }
    assert.equal(nonces.size, 3);
  });
});

describe('SCRAM-SHA-256 client, RFC 7677 §3 test vector', () => {
  it('replays the exchange byte for byte and verifies the server', () => {
    const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
    assert.equal(client.first().toString(), RFC7677.clientFirst);
    assert.equal(client.final(utf8(RFC7677.serverFirst)).toString(), RFC7677.clientFinal);
    assert.doesNotThrow(() => client.verifyServer(utf8(RFC7677.serverFinal)));
  });

  it('rejects a forged server signature (mutual authentication)', () => {
    const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
    client.first();
    client.final(utf8(RFC7677.serverFirst));
    const forged = `v=${randomBytes(32).toString('base64')}`;
    assert.throws(() => client.verifyServer(utf8(forged)), SaslClientError);
  });

  it('rejects a server that holds the credential of another password', async () => {
    // A genuine server exchange for "user", but the server's ServerKey comes from another password.
    const other = deriveScramCredential('not-pencil', { salt: Buffer.from(RFC7677.salt, 'base64') });
    const impostor = { ...RFC7677_CREDENTIAL, serverKey: other.serverKey };
    const exchange = scramSha256Mechanism.start(testContext({ user: { credential: impostor } }));
    const client = createScramClient(RFC7677.user, RFC7677.password);
    const serverFinal = challengeData(
      await exchange.step(client.final(challengeData(await exchange.step(client.first())))),
    );
    assert.throws(() => client.verifyServer(serverFinal), /server signature is wrong/);
  });

  it('reports a server error (e=) and a malformed server-final message', () => {
    for (const serverFinal of ['e=invalid-proof', 'x=1', 'v=not base64', '']) {
      const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
      client.first();
      client.final(utf8(RFC7677.serverFirst));
      assert.throws(
        () => client.verifyServer(utf8(serverFinal)),
        (error: unknown) => error instanceof SaslClientError && error.kind === 'rejected',
        serverFinal,
      );
    }
  });

  it('refuses unsafe or malformed server-first messages', () => {
    const nonce = `${RFC7677.clientNonce}abc`;
    const cases = [
      `r=${nonce},s=${RFC7677.salt},i=4095`, // below RFC 7677 §4's minimum
      `r=${nonce},s=${RFC7677.salt},i=1000001`, // more PBKDF2 than we accept
      `r=${nonce},s=${RFC7677.salt},i=04096`,
      `r=${nonce},s=${RFC7677.salt},i=4096.0`,
      `r=other${nonce},s=${RFC7677.salt},i=4096`, // does not extend our nonce
      `r=${RFC7677.clientNonce},s=${RFC7677.salt},i=4096`, // adds no server part
      `r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096`, // unpadded salt
      `r=${nonce},s=,i=4096`,
      `m=ext,r=${nonce},s=${RFC7677.salt},i=4096`,
      `s=${RFC7677.salt},r=${nonce},i=4096`,
      `r=${nonce},s=${RFC7677.salt}`,
    ];
    for (const serverFirst of cases) {
      const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
      client.first();
      assert.throws(() => client.final(utf8(serverFirst)), SaslClientError, serverFirst);
    }
  });

  it('accepts extensions after the iteration count', () => {
    const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
    client.first();
    assert.equal(
      client
        .final(utf8(`${RFC7677.serverFirst},x=future`))
        .toString()
        .startsWith('c=biws,r='),
      true,
    );
  });

  it('enforces the call order', () => {
    const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
    assert.throws(() => client.final(utf8(RFC7677.serverFirst)), SaslClientError);
    assert.deepEqual(client.first(), client.first());
    assert.throws(() => client.verifyServer(utf8(RFC7677.serverFinal)), SaslClientError);
    client.final(utf8(RFC7677.serverFirst));
    assert.throws(() => client.first(), SaslClientError);
    client.verifyServer(utf8(RFC7677.serverFinal));
    assert.throws(() => client.verifyServer(utf8(RFC7677.serverFinal)), SaslClientError);
  });

  it('refuses unusable arguments as invalid-argument', () => {
    const invalid = (error: unknown): boolean =>
      error instanceof EsonError && error.kind === 'invalid-argument';
    assert.throws(() => createScramClient('', 'pencil'), invalid);
    assert.throws(() => createScramClient('u\0ser', 'pencil'), invalid);
    assert.throws(() => createScramClient('x'.repeat(256), 'pencil'), invalid);
    assert.throws(() => createScramClient('user', ''), invalid);
    assert.throws(() => createScramClient('user', 'pen\u0007cil'), invalid);
    assert.throws(() => createScramClient('user', 'pencil', 'has,comma'), invalid);
    assert.throws(() => createScramClient('user', 'pencil', ''), invalid);
  });
});

describe('SCRAM-SHA-256 failures', () => {
  it('fails a wrong password at the proof, with the generic message', async () => {
    const step = await runExchange(rfcContext(), 'user', 'pencil!');
    assert.deepEqual(step, { kind: 'failure', reason: 'bad-credentials', message: AUTHENTICATION_FAILED });
  });

  it('fails an unknown user exactly like a wrong password, at the proof', async () => {
    const ctx = rfcContext();
    const exchange = scramSha256Mechanism.start(ctx);
    const client = createScramClient('nobody', 'pencil');
    const serverFirst = challengeText(await exchange.step(client.first()));
    // The server-first message has the shape of a real one: 16-octet salt, default iterations.
    const match = /^r=[^,]+,s=([A-Za-z0-9+/=]+),i=(\d+)$/.exec(serverFirst);
    assert.ok(match, serverFirst);
    assert.equal(Buffer.from(match[1] ?? '', 'base64').length, 16);
    assert.equal(Number(match[2]), SCRAM_DEFAULT_ITERATIONS);
    const unknownUser = await exchange.step(client.final(utf8(serverFirst)));
    const wrongPassword = await runExchange(ctx, 'user', 'wrong');
    assert.deepEqual(unknownUser, wrongPassword);
    assert.deepEqual(ctx.lookedUp, ['nobody', 'user']);
  });

  it('gives an unknown user the same salt every time, and different users different salts', async () => {
    const saltOf = async (name: string): Promise<string> => {
      const exchange = scramSha256Mechanism.start(rfcContext());
      const serverFirst = challengeText(await exchange.step(utf8(`n,,n=${name},r=abc`)));
      return /,s=([^,]+),/.exec(serverFirst)?.[1] ?? '';
    };
    assert.equal(await saltOf('nobody'), await saltOf('nobody'));
    assert.notEqual(await saltOf('nobody'), await saltOf('somebody'));
    assert.notEqual(await saltOf('nobody'), RFC7677.salt);
  });

  it('fails a mismatched nonce with bad-nonce', async () => {
    const exchange = scramSha256Mechanism.start(rfcContext());
    challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
    const tampered = RFC7677.clientFinal.replace('k0,p=', 'k1,p=');
    assert.notEqual(tampered, RFC7677.clientFinal);
    const step = await exchange.step(utf8(tampered));
    assert.equal(step.kind === 'failure' && step.reason, 'bad-nonce');
  });

  it('fails a tampered channel binding', async () => {
    for (const binding of ['eSws' /* "y,," */, 'bixhPXVzZXIs' /* "n,a=user," */, '']) {
      const exchange = scramSha256Mechanism.start(rfcContext());
      challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
      const step = await exchange.step(utf8(RFC7677.clientFinal.replace('c=biws', `c=${binding}`)));
      assert.equal(step.kind, 'failure', binding);
      assert.equal(step.kind === 'failure' && step.reason, 'bad-credentials', binding);
    }
  });

  it('fails a disabled user only once the proof holds', async () => {
    const right = await runExchange(rfcContext(true), 'user', 'pencil');
    assert.deepEqual(right, { kind: 'failure', reason: 'disabled', message: 'account is disabled' });
    const wrong = await runExchange(rfcContext(true), 'user', 'crayon');
    assert.deepEqual(wrong, { kind: 'failure', reason: 'bad-credentials', message: AUTHENTICATION_FAILED });
  });

  it('refuses channel binding (p=) and mandatory extensions (m=) as unsupported', async () => {
    for (const first of ['p=tls-unique,,n=user,r=abc', 'n,,m=ext,n=user,r=abc']) {
      const step = await scramSha256Mechanism.start(rfcContext()).step(utf8(first));
      assert.equal(step.kind === 'failure' && step.reason, 'unsupported', first);
    }
  });

  it('refuses proxy authorisation: a= must equal the user', async () => {
    const step = await scramSha256Mechanism.start(rfcContext()).step(utf8('n,a=admin,n=user,r=abc'));
    assert.equal(step.kind === 'failure' && step.reason, 'unsupported');
  });

  it('answers malformed client-first messages with malformed', async () => {
    const cases = [
      '',
      'n,,',
      'x,,n=user,r=abc',
      'n,',
      'n,,r=abc,n=user',
      'n,,n=,r=abc',
      'n,,n=user,r=',
      'n,,n=user',
      'n,,n=us=2Xer,r=abc', // invalid escape
      'n,,n=us=2cer,r=abc', // escapes are upper case
      'n,,n=user=,r=abc',
      'n,b=x,n=user,r=abc',
      'n,a=,n=user,r=abc',
      'n,,n=user,r=ab\x7fc',
      'n,,n=user,r=abc,1=x',
      'n,,n=user,r=abc,x=',
      `n,,n=${'u'.repeat(256)},r=abc`,
    ];
    for (const first of cases) {
      const step = await scramSha256Mechanism.start(rfcContext()).step(utf8(first));
      assert.equal(step.kind === 'failure' && step.reason, 'malformed', JSON.stringify(first));
    }
    const invalidUtf8 = Buffer.concat([utf8('n,,n=us'), Buffer.from([0xc3, 0x28]), utf8('er,r=abc')]);
    const step = await scramSha256Mechanism.start(rfcContext()).step(invalidUtf8);
    assert.equal(step.kind === 'failure' && step.reason, 'malformed');
  });

  it('answers malformed client-final messages with malformed', async () => {
    const nonce = `${RFC7677.clientNonce}${RFC7677.serverNonce}`;
    const cases = [
      '',
      `c=biws,r=${nonce}`,
      `r=${nonce},c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`,
      `c=biws,r=${nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ`, // unpadded
      `c=biws,r=${nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1`, // proof not last
      `c=biws,r=${nonce},p=AAAA`, // proof of the wrong length
      `c=bi ws,r=${nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`,
    ];
    for (const final of cases) {
      const exchange = scramSha256Mechanism.start(rfcContext());
      challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
      const step = await exchange.step(utf8(final));
      assert.equal(step.kind === 'failure' && step.reason, 'malformed', final);
    }
  });

  it('accepts extensions in client-final before the proof (and the proof covers them)', async () => {
    const exchange = scramSha256Mechanism.start(rfcContext());
    challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
    const withExtension = RFC7677.clientFinal.replace(',p=', ',x=1,p=');
    const step = await exchange.step(utf8(withExtension));
    // The RFC proof was computed without the extension, so it no longer holds.
    assert.equal(step.kind === 'failure' && step.reason, 'bad-credentials');
  });

  it('requires an empty response after the server-final message, and nothing after success', async () => {
    const exchange = scramSha256Mechanism.start(rfcContext());
    challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
    challengeText(await exchange.step(utf8(RFC7677.clientFinal)));
    const step = await exchange.step(utf8('extra'));
    assert.equal(step.kind === 'failure' && step.reason, 'malformed');
    const after = await exchange.step(Buffer.alloc(0));
    assert.equal(after.kind === 'failure' && after.reason, 'malformed');

    const completed = scramSha256Mechanism.start(rfcContext());
    challengeText(await completed.step(utf8(RFC7677.clientFirst)));
    challengeText(await completed.step(utf8(RFC7677.clientFinal)));
    assert.equal((await completed.step(Buffer.alloc(0))).kind, 'success');
    for (const response of [Buffer.alloc(0), null, utf8(RFC7677.clientFirst)]) {
      const again = await completed.step(response);
      assert.equal(again.kind === 'failure' && again.reason, 'malformed');
    }
  });

  it('refuses a null response after the first step and an oversized response', async () => {
    const exchange = scramSha256Mechanism.start(rfcContext());
    challengeText(await exchange.step(utf8(RFC7677.clientFirst)));
    const step = await exchange.step(null);
    assert.equal(step.kind === 'failure' && step.reason, 'malformed');
    const big = await scramSha256Mechanism.start(rfcContext()).step(utf8(`n,,n=user,r=${'a'.repeat(2100)}`));
    assert.equal(big.kind === 'failure' && big.reason, 'malformed');
  });

  it('passes a lookup failure through as a rejection', async () => {
    const failing: SaslContext = { lookupUser: () => Promise.reject(new Error('registry down')) };
    await assert.rejects(
      scramSha256Mechanism.start(failing).step(utf8(RFC7677.clientFirst)),
      /registry down/,
    );
  });
});

describe('SCRAM-SHA-256 user names with "," and "="', () => {
  it('escapes and unescapes =2C and =3D (RFC 5802 §5.1)', () => {
    assert.equal(encodeSaslname('a,b=c'), 'a=2Cb=3Dc');
    assert.equal(decodeSaslname('a=2Cb=3Dc'), 'a,b=c');
    assert.equal(decodeSaslname('=3D2C'), '=2C');
    assert.equal(decodeSaslname('a=2'), undefined);
    assert.equal(decodeSaslname(''), undefined);
  });

  it('authenticates a user whose name holds "," and "="', async () => {
    const name = 'ops,team=blue';
    const credential = deriveScramCredential('secret');
    const ctx = testContext({ [name]: { credential } });
    const client = createScramClient(name, 'secret', 'fixednonce');
    assert.equal(client.first().toString(), 'n,,n=ops=2Cteam=3Dblue,r=fixednonce');
    const exchange = scramSha256Mechanism.start(ctx);
    const serverFinal = challengeData(
      await exchange.step(client.final(challengeData(await exchange.step(client.first())))),
    );
    client.verifyServer(serverFinal);
    assert.deepEqual(await exchange.step(Buffer.alloc(0)), {
      kind: 'success',
      identity: { kind: 'user', name },
    });
    assert.deepEqual(ctx.lookedUp, [name]);
  });

  it('accepts y,, (RFC 5802 §6) and a= equal to the user, each with its own channel binding', async () => {
    for (const header of ['y,,', 'n,a=user,']) {
      const exchange = scramSha256Mechanism.start(rfcContext());
      const bare = RFC7677.clientFirst.slice('n,,'.length);
      const serverFirst = challengeText(await exchange.step(utf8(header + bare)));
      assert.equal(serverFirst, RFC7677.serverFirst);
      const final = clientFinalFor(header, bare, serverFirst, RFC7677.password);
      assert.equal(challengeText(await exchange.step(utf8(final))).startsWith('v='), true, header);
      assert.equal((await exchange.step(Buffer.alloc(0))).kind, 'success', header);
      // The same message with the "n,," binding fails: c= must repeat the header actually sent.
      const other = scramSha256Mechanism.start(rfcContext());
      challengeText(await other.step(utf8(header + bare)));
      const step = await other.step(utf8(clientFinalFor('n,,', bare, serverFirst, RFC7677.password)));
      assert.equal(step.kind === 'failure' && step.reason, 'bad-credentials', header);
    }
  });
});
