/**
 * The embedded DNS server's limits: named constants, each the default of one field of
 * DnsServerLimits (the `limits` option overrides any of them).
 */

/** RFC 1035 §4.2.1: a UDP answer to a client without EDNS holds at most 512 octets. */
export const MIN_UDP_PAYLOAD_OCTETS = 512;
/**
 * The largest UDP answer this server sends, and the size it states in its OPT record
 * (RFC 6891 §6.2.5); 1232 avoids IP fragmentation (DNS Flag Day 2020).
 */
export const MAX_UDP_PAYLOAD_OCTETS = 1232;
/** RFC 1035 §4.2.2: the TCP length prefix is 16 bits; larger requests are dropped, answers cut. */
export const MAX_MESSAGE_OCTETS = 0xffff;
/** TCP connections open at once; the next one is closed at once. */
export const MAX_TCP_CONNECTIONS = 128;
/** A TCP connection with no request for this long is closed (RFC 7766 §6.2.3: a few seconds). */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
/** Requests read from one TCP connection and not yet answered; reading pauses above it. */
export const MAX_TCP_PIPELINED_MESSAGES = 16;
/** Resource records one zone may hold, SOA and NS included; an update above it is REFUSED. */
export const MAX_RECORDS_PER_ZONE = 10_000;
/** Updates of one zone waiting for their turn; the next one gets SERVFAIL (retriable). */
export const MAX_PENDING_UPDATES_PER_ZONE = 64;

export interface DnsServerLimits {
  readonly maxUdpPayloadOctets: number;
  readonly maxMessageOctets: number;
  readonly maxTcpConnections: number;
  readonly tcpIdleTimeoutMs: number;
  readonly maxTcpPipelinedMessages: number;
  readonly maxRecordsPerZone: number;
  readonly maxPendingUpdatesPerZone: number;
}

export const DEFAULT_DNS_SERVER_LIMITS: DnsServerLimits = {
  maxUdpPayloadOctets: MAX_UDP_PAYLOAD_OCTETS,
  maxMessageOctets: MAX_MESSAGE_OCTETS,
  maxTcpConnections: MAX_TCP_CONNECTIONS,
  tcpIdleTimeoutMs: TCP_IDLE_TIMEOUT_MS,
  maxTcpPipelinedMessages: MAX_TCP_PIPELINED_MESSAGES,
  maxRecordsPerZone: MAX_RECORDS_PER_ZONE,
  maxPendingUpdatesPerZone: MAX_PENDING_UPDATES_PER_ZONE,
};
