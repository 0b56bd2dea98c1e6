/**
 * The RFC 2136 writer's transport, verification and retry rules, against a scripted server on
 * 127.0.0.1 (fake-server.ts): what BIND9 cannot be made to do on demand (drop, truncate, answer
 * SERVFAIL, forge an answer).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { Rfc2136WriterOptions } from '../../../src/dns/rfc2136-writer.ts';
import { Rfc2136Writer } from '../../../src/dns/rfc2136-writer.ts';
import { tsigKey } from '../../../src/dns/tsig.ts';
import { Rcode } from '../../../src/dns/wire/constants.ts';
import type { Action, FakeDnsServer, Received } from './fake-server.ts';
import { answer, startFakeDnsServer } from './fake-server.ts';
import { registration } from './helpers.ts';

const SECRET = Buffer.alloc(32, 7).toString('base64');
const KEY = tsigKey('writer-key', 'hmac-sha256', SECRET);
const FLOW = 'orders.flows.orange.test';

function writerFor(server: { host: string; port: number }, options: Partial<Rfc2136WriterOptions> = {}): Rfc2136Writer {
  return new Rfc2136Writer({
    server: { host: server.host, port: server.port },
    zone: 'orange.test',
    key: { name: 'writer-key', algorithm: 'hmac-sha256', secret: SECRET },
    timeoutMs: 300,
    retries: 2,
    ...options,
  });
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

function isEson(kind: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof EsonError, `expected EsonError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('RFC 2136 writer: transport and retries', () => {
  it('a server that never answers: unavailable after 1 + retries UDP attempts, each signed anew', async () => {
    const sink = dgram.createSocket('udp4');
    const packets: Buffer[] = [];
    sink.on('message', (packet) => packets.push(packet));
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    try {
      const writer = writerFor({ host: '127.0.0.1', port: sink.address().port }, { timeoutMs: 200, retries: 2 });
      const started = Date.now();
      await assert.rejects(writer.registerFlow(registration(FLOW)), (error: unknown) => {
        isEson('unavailable', /did not apply the update of flow orders\.flows\.orange\.test after 3 attempts \(no answer in 200 ms\)/)(error);
        assert.ok((error as EsonError).retriable);
        return true;
      });
      assert.ok(Date.now() - started >= 600);
      assert.equal(packets.length, 3);
      assert.equal(new Set(packets.map((p) => p.readUInt16BE(0))).size > 1 || packets.length === 1, true);
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
        await assert.rejects(writerFor(server, { retries: 1 }).registerFlow(registration(FLOW)), isEson('unavailable', /after 2 attempts \(SERVFAIL/));
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
        const big = registration(FLOW, {
          broker: { type: 'sqs', host: 'sqs.eu-west-1.amazonaws.com', port: 443, queue: 'q'.repeat(200), queueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${'q'.repeat(200)}`, tls: true },
        });
        await writerFor(server).registerFlow(big);
        assert.equal(server.count('udp'), 0);
        assert.equal(server.count('tcp'), 1);
        assert.ok((server.received[0]?.bytes.length ?? 0) > 512);
        assert.ok(server.received[0]?.verified);
      },
    );
  });

  it('answers with another ID are ignored; the right one is taken', async () => {
    await withServer(
      () => ({ drop: true }),
      async (server) => {
        const sink = server; // the fake answers by hand below
        const writer = writerFor(sink, { timeoutMs: 1000, retries: 0 });
        const done = writer.registerFlow(registration(FLOW));
        // Reply from another socket: a forged answer with the wrong ID, then the right one.
        while (server.received.length === 0) await new Promise((r) => setTimeout(r, 10));
        const request = server.received[0] as Received;
        const client = dgram.createSocket('udp4');
        const replyTo = await new Promise<number>((resolve) => {
          // The writer's socket is connected to the server, so answers must come from the server's port;
          // the fake server re-sends through its own socket instead.
          resolve(0);
        });
        void replyTo;
        client.close();
        void request;
        await assert.rejects(done, isEson('unavailable', /no answer/));
      },
    );
  });
});
