/**
 * A scripted DNS server for the writer's transport and retry tests (test/support/fake-dns-server.ts:
 * UDP and TCP on one port of 127.0.0.1), built on ESON's own codec. It verifies each request's TSIG like a server would and
 * answers as the test's `behave` function says: drop it, answer with an RCODE (signed over the
 * request MAC), truncate, or send raw octets.
 */
import type { TsigKey } from '../../../src/dns/tsig.ts';
import { signMessage, verifyMessage } from '../../../src/dns/tsig.ts';
import type { DecodedMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import type { ScriptedDnsServer, Transport } from '../../support/fake-dns-server.ts';
import { startScriptedDnsServer } from '../../support/fake-dns-server.ts';

export type { Transport } from '../../support/fake-dns-server.ts';

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

export type FakeDnsServer = ScriptedDnsServer<Received>;

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

export function startFakeDnsServer(
  key: TsigKey,
  behave: (request: Received, index: number) => Action,
): Promise<FakeDnsServer> {
  return startScriptedDnsServer(
    (bytes, transport): Received => {
      const message = decodeMessage(bytes);
      const v = verifyMessage(bytes, message, key, { now: Math.floor(Date.now() / 1000) });
      return { transport, bytes, message, verified: v.ok, mac: v.ok ? v.tsig.mac : undefined };
    },
    (request, index) => {
      const action = behave(request, index);
      if ('drop' in action) return [];
      if ('raw' in action) return action.raw;
      return [
        answer(request, action.key === undefined ? key : action.key, action.rcode, {
          ...(action.tc !== undefined ? { tc: action.tc } : {}),
          ...(action.id !== undefined ? { id: action.id } : {}),
        }),
      ];
    },
  );
}
