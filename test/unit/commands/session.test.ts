import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticate } from '../../../src/agent/commands/authenticate.ts';
import { hello, offeredMechanisms } from '../../../src/agent/commands/hello.ts';
import { noop } from '../../../src/agent/commands/noop.ts';
import { quit } from '../../../src/agent/commands/quit.ts';
import { starttls } from '../../../src/agent/commands/starttls.ts';
import type { Broker } from '../../../src/ports/broker.ts';
import { alice, anonymous } from '../core/helpers.ts';
import type { ContextOptions } from './helpers.ts';
import { FQDN, assertReply, commandFixture, exec, execReply, replyOf, run } from './helpers.ts';

const DEFAULT_LIMITS_LINE =
  'LIMITS line=4096 event=1048576 batch-events=10000 batch-octets=16777216 read-events=1000 wait=60';

describe('HELLO', () => {
  it('greets the client and lists the capabilities, in order', async (t) => {
    const f = await commandFixture(t);
    const r = await execReply(f.ctx(), 'HELLO client-1');
    assertReply(r, 250);
    assert.deepEqual(r.lines, [
      `${FQDN} greets client-1`,
      'STARTTLS',
      'AUTH SCRAM-SHA-256 ANONYMOUS',
      'PIPELINING',
      DEFAULT_LIMITS_LINE,
      'PROCESSORS',
      'BROKERS local',
    ]);
  });

  // [session, STARTTLS listed?, AUTH line]
  const table: readonly [string, ContextOptions, boolean, string][] = [
    [
      'plain session, agent with a certificate',
      { tlsAvailable: true, tls: false },
      true,
      'AUTH SCRAM-SHA-256 ANONYMOUS',
    ],
    [
      'plain session, agent without a certificate',
      { tlsAvailable: false, tls: false },
      false,
      'AUTH SCRAM-SHA-256 ANONYMOUS',
    ],
    ['TLS session', { tlsAvailable: true, tls: true }, false, 'AUTH SCRAM-SHA-256 PLAIN ANONYMOUS'],
    [
      'plain session, insecurePlain',
      { tlsAvailable: false, insecurePlain: true },
      false,
      'AUTH SCRAM-SHA-256 PLAIN ANONYMOUS',
    ],
    [
      'plain session, certificate and insecurePlain',
      { tlsAvailable: true, insecurePlain: true },
      true,
      'AUTH SCRAM-SHA-256 PLAIN ANONYMOUS',
    ],
    [
      'authenticated TLS session',
      { tlsAvailable: true, tls: true, identity: alice },
      false,
      'AUTH SCRAM-SHA-256 PLAIN ANONYMOUS',
    ],
  ];
  for (const [what, options, starttlsListed, auth] of table) {
    it(`${what}: STARTTLS ${starttlsListed ? 'listed' : 'not listed'}, ${auth}`, async (t) => {
      const f = await commandFixture(t);
      const ctx = f.ctx(options);
      const r = await replyOf(hello, ['c'], ctx);
      assertReply(r, 250, 'BROKERS local');
      assert.equal(r.lines.includes('STARTTLS'), starttlsListed);
      assert.equal(r.lines.filter((l) => l.startsWith('AUTH ')).join(), auth);
      assert.deepEqual(offeredMechanisms(ctx.agent, ctx.session), auth.split(' ').slice(1));
    });
  }

  it('shows the configured limits and brokers', async (t) => {
    const f = await commandFixture(t, {
      brokers: (broker) =>
        new Map<string, Broker>([
          ['local', broker],
          ['kafka', broker],
        ]),
    });
    const r = await replyOf(
      hello,
      ['c'],
      f.ctx({
        limits: {
          maxLineOctets: 8192,
          maxEventOctets: 2048,
          maxBatchEvents: 5,
          maxBatchOctets: 9999,
          maxReadEvents: 7,
          maxWaitSeconds: 3,
        },
      }),
    );
    assert.ok(
      r.lines.includes('LIMITS line=8192 event=2048 batch-events=5 batch-octets=9999 read-events=7 wait=3'),
    );
    assert.equal(r.lines.at(-1), 'BROKERS local kafka');
  });

  for (const line of ['HELLO', 'HELLO a b']) {
    it(`answers 501 to "${line}"`, async (t) => {
      const f = await commandFixture(t);
      assertReply(await execReply(f.ctx(), line), 501, /syntax: HELLO <client-name>/);
    });
  }
});

describe('STARTTLS', () => {
  const table: readonly [string, string[], ContextOptions, number | 'starttls', RegExp?][] = [
    ['offered', [], { tlsAvailable: true }, 'starttls'],
    ['with an argument', ['now'], { tlsAvailable: true }, 501, /takes no arguments/],
    ['without a certificate', [], { tlsAvailable: false }, 502, /STARTTLS not offered/],
    ['under TLS already', [], { tlsAvailable: true, tls: true }, 503, /TLS already active/],
    [
      'after authentication',
      [],
      { tlsAvailable: true, identity: alice },
      503,
      /not allowed after authentication/,
    ],
  ];
  for (const [what, args, options, expected, message] of table) {
    it(`${what} -> ${expected}`, async (t) => {
      const f = await commandFixture(t);
      const result = await run(starttls, args, f.ctx(options));
      if (expected === 'starttls') assert.deepEqual(result, { kind: 'starttls' });
      else {
        assert.ok(result.kind === 'reply');
        assertReply(result.reply, expected, message);
      }
    });
  }
});

describe('AUTHENTICATE', () => {
  const table: readonly [string, string[], ContextOptions, string | number, RegExp?][] = [
    [
      'SCRAM-SHA-256 with an initial response',
      ['SCRAM-SHA-256', 'biwsbj11c2VyLHI9YWJj'],
      {},
      'SCRAM-SHA-256',
    ],
    ['a lower-case mechanism name', ['scram-sha-256'], {}, 'SCRAM-SHA-256'],
    ['ANONYMOUS', ['ANONYMOUS'], {}, 'ANONYMOUS'],
    ['PLAIN under TLS', ['PLAIN'], { tls: true }, 'PLAIN'],
    ['PLAIN with insecurePlain', ['PLAIN'], { insecurePlain: true }, 'PLAIN'],
    ['PLAIN without TLS', ['PLAIN', 'AGFsaWNlAHB3'], {}, 538, /PLAIN requires TLS/],
    ['an unknown mechanism', ['CRAM-MD5'], {}, 504, /unknown mechanism CRAM-MD5/],
    // "ı" (dotless i) upper-cases to "I" in Unicode: the name must not pass for PLAIN.
    ['a mechanism name with a dotless i', ['plaın'], { tls: true }, 504, /unknown mechanism/],
    ['a bad initial response', ['PLAIN', 'not base64!'], { tls: true }, 501, /not valid base64/],
    ['an authenticated session', ['PLAIN'], { tls: true, identity: alice }, 503, /already authenticated/],
    ['no mechanism', [], {}, 501, /syntax: AUTHENTICATE/],
    ['too many arguments', ['PLAIN', 'a', 'b'], { tls: true }, 501, /syntax/],
  ];
  for (const [what, args, options, expected, message] of table) {
    it(`${what} -> ${expected}`, async (t) => {
      const f = await commandFixture(t);
      const result = await run(authenticate, args, f.ctx(options));
      if (typeof expected === 'string') {
        assert.ok(
          result.kind === 'sasl',
          `got ${result.kind === 'reply' ? result.reply.lines.join() : result.kind}`,
        );
        assert.equal(result.mechanism.name, expected);
      } else {
        assert.ok(result.kind === 'reply');
        assertReply(result.reply, expected, message);
      }
    });
  }

  const initial: readonly [string, string[], Buffer | null][] = [
    ['no initial response', ['PLAIN'], null],
    ['"=" as an empty initial response', ['PLAIN', '='], Buffer.alloc(0)],
    ['a base64 initial response', ['PLAIN', 'AGFsaWNlAHB3'], Buffer.from('\0alice\0pw')],
  ];
  for (const [what, args, expected] of initial) {
    it(`passes ${what} on`, async (t) => {
      const f = await commandFixture(t);
      const result = await run(authenticate, args, f.ctx({ tls: true }));
      assert.ok(result.kind === 'sasl');
      assert.deepEqual(result.initial, expected);
    });
  }
});

describe('NOOP and QUIT', () => {
  it('NOOP answers 250 OK, in any state', async (t) => {
    const f = await commandFixture(t);
    for (const identity of [undefined, alice, anonymous]) {
      const r = await replyOf(noop, [], f.ctx({ identity }));
      assert.deepEqual(r, { code: 250, lines: ['OK'] });
    }
  });

  it('QUIT answers 221 and closes', async (t) => {
    const f = await commandFixture(t);
    const expected = { code: 221, lines: [`${FQDN} closing`], close: true };
    assert.deepEqual(await replyOf(quit, [], f.ctx({ identity: alice })), expected);
    assert.deepEqual(await exec(f.ctx(), 'quit'), { kind: 'reply', reply: expected });
  });
});
