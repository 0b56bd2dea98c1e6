/**
 * A scripted DNS server for tests: UDP and TCP (two-octet length prefixes) on one port of
 * 127.0.0.1. What it makes of a request and what it sends back is the test's: `decode` turns the
 * request's octets into what the test records and looks at, `respond` gives the octets to send
 * back, in order (none: the request is dropped). The writer's tests verify TSIG with it
 * (test/integration/dns/fake-server.ts), the resolver's answer questions
 * (test/unit/resolver/helpers.ts).
 */
import dgram from 'node:dgram';
import net from 'node:net';

export type Transport = 'udp' | 'tcp';

export interface ScriptedDnsServer<R> {
  readonly host: string;
  readonly port: number;
  /** every request, in the order it came */
  readonly received: R[];
  /** how many requests came over `transport` (over both when undefined) */
  count(transport?: Transport): number;
  stop(): Promise<void>;
}

export async function startScriptedDnsServer<R extends { readonly transport: Transport }>(
  decode: (bytes: Uint8Array, transport: Transport) => R,
  respond: (request: R, index: number) => readonly Uint8Array[],
): Promise<ScriptedDnsServer<R>> {
  const received: R[] = [];
  const handle = (bytes: Uint8Array, transport: Transport): readonly Uint8Array[] => {
    const request = decode(bytes, transport);
    received.push(request);
    return respond(request, received.length - 1);
  };
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const outs = handle(new Uint8Array(buffered.subarray(2, 2 + length)), 'tcp');
        buffered = buffered.subarray(2 + length);
        for (const out of outs) {
          const frame = Buffer.alloc(2 + out.length);
          frame.writeUInt16BE(out.length, 0);
          frame.set(out, 2);
          socket.write(frame);
        }
      }
    });
  });
  // UDP on port 0, then TCP on the same port; another port if that one is taken for TCP.
  let udp: dgram.Socket | undefined;
  let port = 0;
  for (let attempt = 0; udp === undefined; attempt++) {
    const candidate = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => candidate.bind(0, '127.0.0.1', () => resolve()));
    port = candidate.address().port;
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) udp = candidate;
    else await new Promise<void>((resolve) => candidate.close(() => resolve()));
    if (attempt === 10 && udp === undefined) throw new Error('no port free for both UDP and TCP');
  }
  const socket = udp;
  socket.on('message', (packet, peer) => {
    for (const out of handle(new Uint8Array(packet), 'udp')) socket.send(out, peer.port, peer.address);
  });
  return {
    host: '127.0.0.1',
    port,
    received,
    count: (transport) => received.filter((r) => transport === undefined || r.transport === transport).length,
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => socket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
