/**
 * Sends one DNS message and waits for its answer, over UDP (RFC 1035 §4.2.1) or TCP with the
 * two-octet length prefix (§4.2.2, RFC 7766). The caller's `check` decides what an answer is:
 * over UDP a datagram it declines (wrong ID, bad TSIG, spoofed) is ignored and the wait goes on
 * (RFC 5452 §9.1, RFC 8945 §5.3); over TCP the stream is the server's, so a declined answer ends
 * the exchange. Nothing here throws for network trouble: the result says what happened, and the
 * caller's retry policy decides.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface DnsServerAddress {
  readonly host: string;
  readonly port: number;
}

export type Check<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export type ExchangeResult<T> =
  | { readonly kind: 'answer'; readonly value: T }
  /** no acceptable answer in time; `reason` says what was declined, if anything */
  | { readonly kind: 'timeout'; readonly reason: string | undefined }
  /** the socket failed (refused, reset, unreachable) or the TCP answer was declined */
  | { readonly kind: 'failed'; readonly reason: string };

/** RFC 1035 §4.2.1: the largest message sent over UDP without EDNS. */
export const MAX_UDP_MESSAGE_OCTETS = 512;

export function exchangeUdp<T>(
  server: DnsServerAddress,
  message: Uint8Array,
  timeoutMs: number,
  check: (packet: Uint8Array) => Check<T>,
): Promise<ExchangeResult<T>> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    let declined: string | undefined;
    let settled = false;
    const finish = (result: ExchangeResult<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', reason: declined }), timeoutMs);
    socket.on('error', (error) => finish({ kind: 'failed', reason: `UDP: ${error.message}` }));
    socket.on('message', (packet) => {
      const verdict = check(packet);
      if (verdict.ok) finish({ kind: 'answer', value: verdict.value });
      else declined = verdict.reason;
    });
    // connect() makes the kernel drop datagrams from other peers and report ICMP errors.
    socket.connect(server.port, server.host, () => {
      socket.send(message, (error) => {
        if (error) finish({ kind: 'failed', reason: `UDP send: ${error.message}` });
      });
    });
  });
}

export function exchangeTcp<T>(
  server: DnsServerAddress,
  message: Uint8Array,
  timeoutMs: number,
  check: (packet: Uint8Array) => Check<T>,
): Promise<ExchangeResult<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host: server.host, port: server.port });
    const finish = (result: ExchangeResult<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', reason: undefined }), timeoutMs);
    let buffered = Buffer.alloc(0);
    socket.on('error', (error) => finish({ kind: 'failed', reason: `TCP: ${error.message}` }));
    socket.on('close', () => finish({ kind: 'failed', reason: 'TCP: the server closed the connection' }));
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + message.length);
      frame.writeUInt16BE(message.length, 0);
      frame.set(message, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const verdict = check(new Uint8Array(buffered.subarray(2, 2 + length)));
      finish(
        verdict.ok ? { kind: 'answer', value: verdict.value } : { kind: 'failed', reason: verdict.reason },
      );
    });
  });
}
