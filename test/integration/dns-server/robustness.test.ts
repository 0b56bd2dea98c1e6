/**
 * The server on real sockets against what no polite client sends: malformed datagrams and
 * frames, pipelined and fragmented TCP, idle and surplus connections. After each, it still serves.
 * Also its lifecycle: zones added at runtime, stop() freeing the port.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { queryDns } from '../../../src/dns/query-client.ts';
import { RRType, Rcode } from '../../../src/dns/wire/constants.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import { queryMessage } from '../../../src/dns/wire/query.ts';
import type { DnsServerAddress } from '../../../src/dns/server/server.ts';
import { registration } from '../dns/helpers.ts';
import { frame, nsupdate, TcpClient, udpExchange, withDns, writerFor } from './helpers.ts';

const query = (id: number, name = 'orange.test', type: number = RRType.SOA): Uint8Array =>
  encodeMessage(queryMessage({ id, name, type }));

async function stillServes(dns: DnsServerAddress): Promise<void> {
  const answer = await queryDns(dns, 'orange.test', RRType.SOA, { timeoutMs: 1000 });
  assert.equal(answer.answers.length, 1);
  const tcp = await queryDns(dns, 'orange.test', RRType.SOA, { timeoutMs: 1000, tcp: true });
  assert.equal(tcp.answers.length, 1);
}

describe('embedded DNS server: malformed input and TCP handling', () => {
  it('UDP: short datagrams and responses are dropped, garbage gets FORMERR, service goes on', async () => {
    await withDns(async (dns) => {
      assert.equal(await udpExchange(dns, new Uint8Array(0), 300), undefined);
      assert.equal(await udpExchange(dns, Uint8Array.of(1, 2, 3, 4, 5), 300), undefined);
      const response = query(7);
      response[2] = (response[2] as number) | 0x80;
      assert.equal(await udpExchange(dns, response, 300), undefined);
      const garbage = Uint8Array.of(0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61);
      const answer = await udpExchange(dns, garbage);
      assert.ok(answer);
      const m = decodeMessage(answer);
      assert.deepEqual([m.id, m.flags.qr, m.flags.rcode], [0xabcd, true, Rcode.FORMERR]);
      for (let i = 0; i < 200; i++) {
        const noise = new Uint8Array(12 + (i % 50)).map((_, j) => (i * 31 + j * 17) & 0xff);
        noise[2] = (noise[2] as number) & 0x7f;
        await udpExchange(dns, noise, 5);
      }
      await stillServes(dns);
    });
  });

  it('TCP: several messages in one write are answered in order on one connection', async () => {
    await withDns(async (dns) => {
      const client = await TcpClient.connect(dns);
      try {
        client.send(query(1), query(2, 'nope.orange.test', RRType.A), query(3, 'example.com', RRType.A));
        await client.waitFor(3);
        assert.deepEqual(
          client.frames.map((f) => {
            const m = decodeMessage(f);
            return [m.id, m.flags.rcode];
          }),
          [
            [1, Rcode.NOERROR],
            [2, Rcode.NXDOMAIN],
            [3, Rcode.REFUSED],
          ],
        );
        // and more later on the same connection
        client.send(query(4));
        await client.waitFor(4);
        assert.equal(decodeMessage(client.frames[3] as Uint8Array).id, 4);
        assert.equal(client.closed, false);
      } finally {
        client.close();
      }
    });
  });

  it('TCP: a message cut into one-octet writes is reassembled', async () => {
    await withDns(async (dns) => {
      const client = await TcpClient.connect(dns);
      try {
        const bytes = frame(query(9));
        for (const octet of bytes) {
          client.socket.write(Uint8Array.of(octet));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await client.waitFor(1);
        assert.equal(decodeMessage(client.frames[0] as Uint8Array).id, 9);
      } finally {
        client.close();
      }
    });
  });

  it('TCP: a malformed message gets FORMERR and the connection stays; a frame under 12 octets closes it', async () => {
    await withDns(async (dns) => {
      const client = await TcpClient.connect(dns);
      try {
        client.send(Uint8Array.of(0, 5, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff), query(6));
        await client.waitFor(2);
        assert.deepEqual(
          client.frames.map((f) => decodeMessage(f).flags.rcode),
          [Rcode.FORMERR, Rcode.NOERROR],
        );
        client.send(Uint8Array.of(1, 2, 3));
        assert.equal(await client.waitClosed(), true);
      } finally {
        client.close();
      }
      await stillServes(dns);
    });
  });

  it('TCP: a client that half-closes after its query still gets the answer', async () => {
    await withDns(async (dns) => {
      const client = await TcpClient.connect(dns);
      try {
        client.socket.end(frame(query(11), query(12)));
        await client.waitFor(2);
        assert.deepEqual(
          client.frames.map((f) => decodeMessage(f).id),
          [11, 12],
        );
        assert.equal(await client.waitClosed(), true);
      } finally {
        client.close();
      }
    });
  });

  it('TCP: an idle connection is closed after the idle timeout; a busy one is not', async () => {
    await withDns(
      async (dns) => {
        const idle = await TcpClient.connect(dns);
        const busy = await TcpClient.connect(dns);
        try {
          const started = Date.now();
          for (let i = 0; i < 6; i++) {
            busy.send(query(100 + i));
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.equal(await idle.waitClosed(1000), true);
          assert.ok(Date.now() - started >= 250);
          assert.equal(busy.frames.length, 6);
          assert.equal(busy.closed, false, 'a connection with a request every 100 ms stays open');
          assert.equal(await busy.waitClosed(1000), true);
        } finally {
          idle.close();
          busy.close();
        }
      },
      { limits: { tcpIdleTimeoutMs: 250 } },
    );
  });

  it('TCP: connections over the limit are closed at once; room again after one closes', async () => {
    await withDns(
      async (dns) => {
        const first = await TcpClient.connect(dns);
        const second = await TcpClient.connect(dns);
        const third = await TcpClient.connect(dns);
        try {
          assert.equal(await third.waitClosed(1000), true);
          first.send(query(1));
          await first.waitFor(1);
          assert.equal(first.frames.length, 1);
          first.close();
          await new Promise((resolve) => setTimeout(resolve, 100));
          const fourth = await TcpClient.connect(dns);
          fourth.send(query(4));
          await fourth.waitFor(1);
          assert.equal(fourth.frames.length, 1);
          fourth.close();
        } finally {
          second.close();
          third.close();
        }
      },
      { limits: { maxTcpConnections: 2 } },
    );
  });

  it('an update over TCP from nsupdate -v, then queries on other connections see it', async () => {
    await withDns(async (dns) => {
      const script = ['update add tcp.orange.test 60 A 192.0.2.4'];
      const result = await nsupdate(dns, dns.orange.key, 'orange.test', script, ['-v']);
      assert.equal(result.code, 0, result.output);
      const answer = await queryDns(dns, 'tcp.orange.test', RRType.A, { tcp: true });
      assert.deepEqual(
        answer.answers.map((r) => r.data),
        [{ kind: 'A', address: '192.0.2.4' }],
      );
    });
  });
});

describe('embedded DNS server: lifecycle', () => {
  it('UDP and TCP on one port; stop() closes connections and frees the port', async () => {
    let address: DnsServerAddress | undefined;
    let client: TcpClient | undefined;
    await withDns(async (dns) => {
      address = { host: dns.host, port: dns.port };
      assert.equal(dns.server.address?.port, dns.port);
      client = await TcpClient.connect(dns);
      await dns.stop();
      assert.equal(await client.waitClosed(1000), true);
      await dns.stop(); // twice is fine
    });
    assert.ok(address);
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(address?.port, '127.0.0.1', () => resolve());
    });
    udp.close();
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(address?.port, '127.0.0.1', () => resolve());
    });
    tcp.close();
    client?.close();
  });

  it('start() twice is refused; a port already taken fails start()', async () => {
    await withDns(async (dns) => {
      await assert.rejects(dns.server.start(), /only once/);
      const { EmbeddedDnsServer } = await import('../../../src/dns/server/server.ts');
      const clash = new EmbeddedDnsServer({ host: '127.0.0.1', port: dns.port, zones: [] });
      await assert.rejects(clash.start(), /EADDRINUSE/);
      await clash.stop();
    });
  });

  it('addZone at runtime: the new zone is answered and its key may update it, only it', async () => {
    await withDns(async (dns) => {
      assert.equal((await queryDns(dns, 'green.test', RRType.SOA)).flags.rcode, Rcode.REFUSED);
      const key = {
        name: 'green-key',
        algorithm: 'hmac-sha256' as const,
        secret: Buffer.alloc(32, 4).toString('base64'),
      };
      dns.server.addZone({ name: 'green.test', keys: [key], soa: { serial: 100 } });
      const soa = await queryDns(dns, 'green.test', RRType.SOA);
      assert.equal(soa.flags.aa, true);
      assert.equal(soa.answers[0]?.data?.kind === 'SOA' && soa.answers[0].data.serial, 100);
      const flow = 'orders.flows.green.test';
      await writerFor(dns, { zone: 'green.test', key }).registerFlow(
        registration(flow, { agent: { host: 'agent.green.test', port: 61200, tls: false } }),
      );
      assert.equal((await queryDns(dns, flow, RRType.PTR)).answers.length, 1);
      const intrusion = await nsupdate(dns, key, 'orange.test', ['update add x.orange.test 60 A 192.0.2.1']);
      assert.match(intrusion.output, /update failed: REFUSED/);
      // The new zone persists with the others.
      const again = await dns.restart();
      again.server.addZone({ name: 'green.test', keys: [key] });
      assert.equal((await queryDns(again, flow, RRType.PTR)).answers.length, 1);
    });
  });
});
