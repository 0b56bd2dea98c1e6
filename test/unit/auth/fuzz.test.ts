import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Base64Error, decodeBase64Strict, encodeBase64 } from '../../../src/auth/base64.ts';
import { anonymousMechanism } from '../../../src/auth/sasl/anonymous.ts';
import { createScramClient, SaslClientError } from '../../../src/auth/sasl/client.ts';
import type { SaslServerMechanism } from '../../../src/auth/sasl/mechanism.ts';
import { plainMechanism } from '../../../src/auth/sasl/plain.ts';
import { encodeSaslname, scramSha256Mechanism } from '../../../src/auth/sasl/scram-sha-256.ts';
import { saslprep, SaslprepError } from '../../../src/auth/saslprep.ts';
import { deriveScramCredential } from '../../../src/auth/scram-credential.ts';
import {
  assertWellFormedStep,
  challengeData,
  RFC7677,
  RFC7677_CREDENTIAL,
  testContext,
  utf8,
} from './helpers.ts';

const MECHANISMS: SaslServerMechanism[] = [plainMechanism, anonymousMechanism, scramSha256Mechanism];
const context = () =>
  testContext({
    user: { credential: RFC7677_CREDENTIAL },
    'a,b=c': { credential: RFC7677_CREDENTIAL, disabled: true },
  });

/** Any response a client could produce: absent, arbitrary bytes, or arbitrary (often non-ASCII) text. */
const response = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 2200 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 300 }).map(utf8),
);

/** Text assembled from SCRAM syntax fragments, to reach past the first checks of the parsers. */
const scramish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'n,',
        'y,',
        'p=',
        ',',
        'a=',
        'n=',
        'r=',
        'c=',
        'p=',
        's=',
        'i=',
        'm=',
        'x=',
        '=',
        '=2C',
        '=3D',
        '=2',
      ),
      fc.constantFrom('user', 'biws', 'eSws', '\0', 'é', RFC7677.clientNonce, RFC7677.serverNonce),
      fc.constantFrom('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'AAAA', '===='),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 16 },
  )
  .map((parts) => utf8(parts.join('')));

describe('fuzz: strict base64', () => {
  it('accepts exactly the canonical encodings, and throws nothing but Base64Error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.base64String(),
          fc.stringMatching(/^[A-Za-z0-9+/=]{0,12}$/),
        ),
        (text) => {
          // Oracle: Node's lenient decoder, re-encoded, gives back the input only for canonical base64.
          const canonical = Buffer.from(text, 'base64').toString('base64') === text;
          try {
            const bytes = decodeBase64Strict(text);
            assert.ok(canonical, `accepted non-canonical ${JSON.stringify(text)}`);
            assert.equal(encodeBase64(bytes), text);
          } catch (error) {
            if (!(error instanceof Base64Error)) throw error;
            assert.ok(!canonical, `refused canonical ${JSON.stringify(text)}`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        assert.deepEqual(new Uint8Array(decodeBase64Strict(encodeBase64(bytes))), bytes);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz: saslprep', () => {
  it('returns a string or throws SaslprepError, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        let prepared: string;
        try {
          prepared = saslprep(text);
        } catch (error) {
          if (error instanceof SaslprepError) return;
          throw error;
        }
        assert.equal(saslprep(prepared), prepared);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fuzz: SASL mechanisms', () => {
  for (const mechanism of MECHANISMS) {
    it(`${mechanism.name}: any responses give well-formed steps, and nothing after the end`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(response, scramish), { minLength: 1, maxLength: 5 }),
          async (responses) => {
            const exchange = mechanism.start(context());
            let over = false;
            for (const r of responses) {
              const step = await exchange.step(r);
              assertWellFormedStep(step);
              if (over) assert.equal(step.kind === 'failure' && step.reason, 'malformed');
              if (step.kind !== 'challenge') over = true;
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('SCRAM-SHA-256: any client-final after a valid client-first gives a well-formed step', async () => {
    const nonce = `${RFC7677.clientNonce}${RFC7677.serverNonce}`;
    const final = fc.oneof(
      response,
      scramish,
      fc
        .tuple(
          fc.constantFrom('c=biws', 'c=eSws', 'c=', 'c=biws=', 'x=1'),
          fc.constantFrom(`r=${nonce}`, `r=${RFC7677.clientNonce}`, 'r=', `r=${nonce}x`),
          fc.array(fc.constantFrom('x=1', 'm=2', '=', ''), { maxLength: 2 }),
          fc
            .oneof(fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 50 }))
            .map((proof) => `p=${proof}`),
        )
        .map(([c, r, extensions, p]) => utf8([c, r, ...extensions, p].join(','))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('user', 'nobody', 'a=2Cb=3Dc'),
        final,
        fc.array(response, { maxLength: 2 }),
        async (user, clientFinal, rest) => {
          const exchange = scramSha256Mechanism.start(
            testContext({ user: { credential: RFC7677_CREDENTIAL } }, () => RFC7677.serverNonce),
          );
          challengeData(await exchange.step(utf8(`n,,n=${user},r=${RFC7677.clientNonce}`)));
          const step = await exchange.step(clientFinal);
          assertWellFormedStep(step);
          // Only the RFC's own proof could succeed, and these inputs never carry it with its nonce.
          assert.notEqual(step.kind, 'challenge');
          for (const r of rest) {
            const after = await exchange.step(r);
            assert.equal(after.kind === 'failure' && after.reason, 'malformed');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: SCRAM client against server', () => {
  const userName = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
    .filter((name) => !name.includes('\0') && Buffer.byteLength(name) <= 255);
  const password = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }).filter((p) => {
    try {
      return saslprep(p, { allowUnassigned: false }).length > 0;
    } catch {
      return false;
    }
  });

  it('authenticates any user name (escaped and unescaped exactly) with any acceptable password', async () => {
    await fc.assert(
      fc.asyncProperty(userName, password, async (name, secret) => {
        const ctx = testContext({ [name]: { credential: deriveScramCredential(secret) } });
        const client = createScramClient(name, secret);
        assert.ok(
          client
            .first()
            .toString()
            .includes(`n=${encodeSaslname(name)},`),
        );
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
      }),
      { numRuns: 40 },
    );
  });

  it('the client throws only SaslClientError on arbitrary server messages', () => {
    const serverFirst = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      scramish,
      fc
        .tuple(
          fc.constantFrom(`r=${RFC7677.clientNonce}`, `r=${RFC7677.clientNonce}xyz`, 'r=other', 'm=1'),
          fc.constantFrom(`s=${RFC7677.salt}`, 's=', 's=!!!!', 's=AA'),
          fc.constantFrom('i=4096', 'i=0', 'i=4095', 'i=99999999999', 'i=', 'i=-1', 'i=4096x'),
        )
        .map((fields) => utf8(fields.join(','))),
    );
    fc.assert(
      fc.property(serverFirst, fc.uint8Array({ maxLength: 100 }), (first, final) => {
        const client = createScramClient(RFC7677.user, RFC7677.password, RFC7677.clientNonce);
        client.first();
        try {
          client.final(Buffer.from(first));
          client.verifyServer(Buffer.from(final));
          assert.fail('a random server-final message was accepted');
        } catch (error) {
          if (!(error instanceof SaslClientError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});
