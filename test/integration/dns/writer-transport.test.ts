/**
 * The RFC 2136 writer's transport, verification and retry rules, against a scripted server on
 * 127.0.0.1 (fake-server.ts): what BIND9 cannot be made to do on demand (drop, truncate, answer
 * SERVFAIL, forge an answer).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { Rfc2136WriterOptions } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { signMessage, tsigKey } from '../../../src/dns/tsig.ts';
import { Rcode } from '../../../src/dns/wire/constants.ts';
import type { Action, FakeDnsServer, Received } from './fake-server.ts';
import { answer, startFakeDnsServer } from './fake-server.ts';
import { isEson, rfc2136Writer } from '../../support/rfc2136.ts';
import { oversizedRegistration, registration } from './helpers.ts';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const KEY = tsigKey('writer-key', 'hmac-sha256', SECRET);
const FLOW = 'orders.flows.orange.test';
const OTHER_KEY = tsigKey('writer-key', 'hmac-sha256', Buffer.alloc(32, 8).toString('base64'));

function writerFor(
  server: { host: string; port: number },
  options: Partial<Rfc2136WriterOptions> = {},
): Rfc2136Writer {
  return rfc2136Writer(
    server.host,
    server.port,
    'orange.test',
    { name: 'writer-key', algorithm: 'hmac-sha256', secret: SECRET },
    { timeoutMs: 300, retries: 2, ...options },
  );
}

async function withServer(
  behave: (request: Received, index: number) => Action,
  fn: (server: FakeDnsServer) => Promise<void>,
): Promise<void> {
  const server = await startFakeDnsServer(KEY, behave);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

describe('RFC 2136 writer: transport and retries', () => {
  it('a server that never answers: unavailable after 1 + retries UDP attempts, each signed anew', async () => {
    const sink = dgram.createSocket('udp4');
    const packets: Buffer[] = [];
    sink.on('message', (packet) => packets.push(packet));
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    try {
      const writer = writerFor(
        { host: '127.0.0.1', port: sink.address().port },
        { timeoutMs: 200, retries: 2 },
      );
      const started = Date.now();
      await assert.rejects(writer.registerFlow(registration(FLOW)), (error: unknown) => {
        isEson(
          'unavailable',
          /did not apply the update of flow orders\.flows\.orange\.test after 3 attempts \(no answer in 200 ms\)/,
        )(error);
        assert.ok((error as EsonError).retriable);
        return true;
      });
      assert.ok(Date.now() - started >= 600);
      assert.equal(packets.length, 3);
      // Each attempt has its own ID (and so its own MAC).
      assert.equal(new Set(packets.map((p) => p.toString('hex'))).size, 3);
    } finally {
      sink.close();
    }
  });

  it('SERVFAIL is retried; success on a later attempt is success', async () => {
    await withServer(
      (_, i) => ({ rcode: i < 2 ? Rcode.SERVFAIL : Rcode.NOERROR }),
      async (server) => {
        await writerFor(server).registerFlow(registration(FLOW));
        assert.equal(server.count('udp'), 3);
        assert.ok(server.received.every((r) => r.verified));
      },
    );
  });

  it('SERVFAIL on every attempt: unavailable naming SERVFAIL', async () => {
    await withServer(
      () => ({ rcode: Rcode.SERVFAIL }),
      async (server) => {
        await assert.rejects(
          writerFor(server, { retries: 1 }).registerFlow(registration(FLOW)),
          isEson('unavailable', /after 2 attempts \(SERVFAIL/),
        );
        assert.equal(server.count('udp'), 2);
      },
    );
  });

  it('a truncated UDP answer: the same request again over TCP', async () => {
    await withServer(
      (r) => (r.transport === 'udp' ? { rcode: Rcode.NOERROR, tc: true } : { rcode: Rcode.NOERROR }),
      async (server) => {
        await writerFor(server).registerFlow(registration(FLOW));
        assert.equal(server.count('udp'), 1);
        assert.equal(server.count('tcp'), 1);
        assert.deepEqual(server.received[1]?.bytes, server.received[0]?.bytes);
      },
    );
  });

  it('a message over 512 octets goes straight to TCP', async () => {
    await withServer(
      () => ({ rcode: Rcode.NOERROR }),
      async (server) => {
        const big = oversizedRegistration(FLOW);
        await writerFor(server).registerFlow(big);
        assert.equal(server.count('udp'), 0);
        assert.equal(server.count('tcp'), 1);
        assert.ok((server.received[0]?.bytes.length ?? 0) > 512);
        assert.ok(server.received[0]?.verified);
      },
    );
  });

  it('forged answers (another ID, unsigned, another key) are ignored; the genuine one decides', async () => {
    await withServer(
      (r) => ({
        raw: [
          answer(r, KEY, Rcode.NOERROR, { id: r.message.id ^ 1 }),
          answer(r, null, Rcode.NOERROR),
          answer(r, OTHER_KEY, Rcode.NOERROR),
          answer(r, KEY, Rcode.YXRRSET),
        ],
      }),
      async (server) => {
        await assert.rejects(writerFor(server).registerFlow(registration(FLOW)), isEson('exists', /YXRRSET/));
        assert.equal(server.count('udp'), 1);
      },
    );
  });

  it('only unverifiable answers: unavailable, saying what was ignored', async () => {
    await withServer(
      (r) => ({ raw: [answer(r, null, Rcode.NOERROR)] }),
      async (server) => {
        await assert.rejects(
          writerFor(server, { retries: 1, timeoutMs: 200 }).registerFlow(registration(FLOW)),
          isEson('unavailable', /ignored: an answer \(NOERROR\) whose TSIG failed: missing/),
        );
        assert.equal(server.count('udp'), 2);
      },
    );
  });

  it('over TCP an unverifiable answer ends the attempt at once', async () => {
    await withServer(
      (r) =>
        r.transport === 'udp'
          ? { rcode: Rcode.NOERROR, tc: true }
          : { raw: [answer(r, OTHER_KEY, Rcode.NOERROR)] },
      async (server) => {
        await assert.rejects(
          writerFor(server, { retries: 0 }).registerFlow(registration(FLOW)),
          isEson('unavailable', /after 1 attempts \(an answer \(NOERROR\) whose TSIG failed: BADSIG/),
        );
        assert.equal(server.count('tcp'), 1);
      },
    );
  });

  it('a TXT string over 255 octets fails before anything is sent', async () => {
    await withServer(
      () => ({ rcode: Rcode.NOERROR }),
      async (server) => {
        const long = registration(FLOW, {
          broker: {
            type: 'kafka',
            host: 'kafka.orange.test',
            port: 9092,
            queue: 'q'.repeat(300),
            tls: false,
          },
        });
        const writer = writerFor(server);
        await assert.rejects(
          writer.registerFlow(long),
          isEson('invalid-argument', /TXT string .* is 306 octets, over 255/),
        );
        await assert.rejects(writer.updateFlow(long), isEson('invalid-argument', /over 255/));
        assert.equal(server.received.length, 0);
      },
    );
  });

  it('a flow outside the zone fails before anything is sent', async () => {
    await withServer(
      () => ({ rcode: Rcode.NOERROR }),
      async (server) => {
        await assert.rejects(
          writerFor(server).registerFlow(registration('orders.flows.other.test')),
          isEson('invalid-name', /outside the zone orange\.test/),
        );
        assert.equal(server.received.length, 0);
      },
    );
  });
});

describe('RFC 2136 writer: RCODEs and TSIG errors', () => {
  const cases: readonly [string, number, 'registerFlow' | 'updateFlow', string, RegExp][] = [
    [
      'YXRRSET',
      Rcode.YXRRSET,
      'registerFlow',
      'exists',
      /^flow orders\.flows\.orange\.test is already in DNS: the server answered YXRRSET/,
    ],
    ['YXDOMAIN', Rcode.YXDOMAIN, 'registerFlow', 'exists', /already in DNS: the server answered YXDOMAIN/],
    [
      'NXRRSET',
      Rcode.NXRRSET,
      'updateFlow',
      'not-found',
      /^flow orders\.flows\.orange\.test is not in DNS: the server answered NXRRSET/,
    ],
    [
      'REFUSED',
      Rcode.REFUSED,
      'registerFlow',
      'forbidden',
      /^the DNS server refused the TSIG key writer-key: REFUSED/,
    ],
    ['NOTAUTH', Rcode.NOTAUTH, 'registerFlow', 'forbidden', /refused the TSIG key writer-key: NOTAUTH/],
    ['NOTZONE', Rcode.NOTZONE, 'registerFlow', 'forbidden', /refused the TSIG key writer-key: NOTZONE/],
    ['FORMERR', Rcode.FORMERR, 'registerFlow', 'rejected', /answered FORMERR to the update of flow/],
    ['NOTIMP', Rcode.NOTIMP, 'registerFlow', 'rejected', /answered NOTIMP/],
  ];
  for (const [name, rcode, call, kind, pattern] of cases) {
    it(`${name} -> ${kind}, not retried`, async () => {
      await withServer(
        () => ({ rcode }),
        async (server) => {
          await assert.rejects(writerFor(server)[call](registration(FLOW)), (error: unknown) => {
            isEson(kind, pattern)(error);
            assert.equal((error as EsonError).retriable, false);
            assert.equal((error as EsonError).context.rcode, name);
            return true;
          });
          assert.equal(server.received.length, 1);
        },
      );
    });
  }

  it("the server's BADTIME names the clock offset", async () => {
    const skewMs = 3600_000;
    await withServer(
      (r) => {
        const requestTime = r.message.additionals.at(-1)?.data;
        assert.ok(requestTime?.kind === 'TSIG');
        // The server's clock exactly one hour behind the request's Time Signed: no rounding race.
        const serverTime = requestTime.timeSigned - skewMs / 1000;
        const otherData = Buffer.alloc(6);
        otherData.writeUIntBE(serverTime, 0, 6);
        const unsigned = answer(r, null, Rcode.NOTAUTH);
        return {
          raw: [
            signMessage(unsigned, KEY, {
              timeSigned: requestTime.timeSigned,
              error: Rcode.BADTIME,
              otherData,
              ...(r.mac ? { requestMac: r.mac } : {}),
            }).bytes,
          ],
        };
      },
      async (server) => {
        await assert.rejects(
          writerFor(server, { clock: () => Date.now() + skewMs }).registerFlow(registration(FLOW)),
          isEson(
            'forbidden',
            /refused the TSIG key writer-key: BADTIME .*our clock is 3600 s off the server's/,
          ),
        );
      },
    );
  });
});

describe('RFC 2136 writer: options and life cycle', () => {
  it('refuses unknown and malformed options', () => {
    const base = {
      server: { host: '127.0.0.1', port: 53 },
      zone: 'orange.test',
      key: { name: 'k', algorithm: 'hmac-sha256' as const, secret: SECRET },
      timeoutMs: 100,
      retries: 1,
    };
    assert.throws(
      () => new Rfc2136Writer({ ...base, timeout: 5 } as unknown as Rfc2136WriterOptions),
      isEson('invalid-argument', /unknown|unrecognized/i),
    );
    assert.throws(() => new Rfc2136Writer({ ...base, retries: -1 }), isEson('invalid-argument', /retries/));
    assert.throws(
      () =>
        new Rfc2136Writer({
          ...base,
          key: { ...base.key, algorithm: 'hmac-md5' } as unknown as typeof base.key,
        }),
      isEson('invalid-argument', /key\.algorithm/),
    );
    assert.throws(
      () => new Rfc2136Writer({ ...base, key: { ...base.key, secret: 'no!' } }),
      isEson('invalid-argument', /base64/),
    );
    assert.throws(
      () => new Rfc2136Writer({ ...base, zone: 'a..b' }),
      (e: unknown) => e instanceof EsonError && e.kind === 'invalid-name',
    );
  });

  it('close() waits for the update under way; later calls fail', async () => {
    await withServer(
      () => ({ rcode: Rcode.NOERROR }),
      async (server) => {
        const writer = writerFor(server);
        const pending = writer.registerFlow(registration(FLOW));
        await writer.close();
        await pending;
        await assert.rejects(writer.unregisterFlow(registration(FLOW)), isEson('unavailable', /closed/));
      },
    );
  });
});
