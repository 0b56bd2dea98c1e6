/**
 * A scripted DNS server for the writer's transport and retry tests: UDP and TCP on one port of
 * 127.0.0.1, built on ESON's own codec. It verifies each request's TSIG like a server would and
 * answers as the test's `behave` function says: drop it, answer with an RCODE (signed over the
 * request MAC), truncate, or send raw octets.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { TsigKey } from '../../../src/dns/tsig.ts';
import { signMessage, verifyMessage } from '../../../src/dns/tsig.ts';
import type { DecodedMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';

export type Transport = 'udp' | 'tcp';

export interface Received {
  readonly transport: Transport;
  readonly bytes: Uint8Array;
  readonly message: DecodedMessage;
  /** the request's TSIG verified with the server's key */
  readonly verified: boolean;
  readonly mac: Uint8Array | undefined;
}

export type Action =
  | { readonly drop: true }
  | { readonly rcode: number; readonly tc?: boolean; readonly id?: number; readonly key?: TsigKey | null }
  /** datagrams (or TCP frames) to send, in order */
  | { readonly raw: readonly Uint8Array[] };

export interface FakeDnsServer {
  readonly host: string;
  readonly port: number;
  readonly received: Received[];
  count(transport: Transport): number;
  stop(): Promise<void>;
}

/** The signed answer a server sends: the request's header and zone, QR set, `rcode`. */
export function answer(
  request: Received,
  key: TsigKey | null,
  rcode: number,
  options: { tc?: boolean; id?: number } = {},
): Uint8Array {
  const m = request.message;
  const unsigned = encodeMessage({
    id: options.id ?? m.id,
    flags: { ...m.flags, qr: true, tc: options.tc ?? false, rcode },
    questions: m.questions,
    answers: [],
    authorities: [],
    additionals: [],
  });
  if (key === null) return unsigned;
  return signMessage(unsigned, key, {
    timeSigned: Math.floor(Date.now() / 1000),
    ...(request.mac ? { requestMac: request.mac } : {}),
  }).bytes;
}

export async function startFakeDnsServer(
  key: TsigKey,
  behave: (request: Received, index: number) => Action,
): Promise<FakeDnsServer> {
  const received: Received[] = [];
  const respond = (bytes: Uint8Array, transport: Transport): readonly Uint8Array[] => {
    const message = decodeMessage(bytes);
    const v = verifyMessage(bytes, message, key, { now: Math.floor(Date.now() / 1000) });
    const request: Received = {
      transport,
      bytes,
      message,
      verified: v.ok,
      mac: v.ok ? v.tsig.mac : undefined,
    };
    received.push(request);
    const action = behave(request, received.length - 1);
    if ('drop' in action) return [];
    if ('raw' in action) return action.raw;
    return [
      answer(request, action.key === undefined ? key : action.key, action.rcode, {
        ...(action.tc !== undefined ? { tc: action.tc } : {}),
        ...(action.id !== undefined ? { id: action.id } : {}),
      }),
    ];
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
        const outs = respond(new Uint8Array(buffered.subarray(2, 2 + length)), 'tcp');
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
  let udp: dgram.Socket;
  let port: number;
  for (let attempt = 0; ; attempt++) {
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    port = udp.address().port;
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) break;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (attempt === 10) throw new Error('no port free for both UDP and TCP');
  }
  const socket = udp;
  socket.on('message', (packet, peer) => {
    for (const out of respond(new Uint8Array(packet), 'udp')) socket.send(out, peer.port, peer.address);
  });
  return {
    host: '127.0.0.1',
    port,
    received,
    count: (transport) => received.filter((r) => r.transport === transport).length,
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => socket.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
