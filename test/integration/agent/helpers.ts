/**
 * Helpers shared by the agent integration tests: logging in over a real socket, events, and the
 * check that the agent still serves other clients after one of them misbehaved.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { EmbeddedBroker } from '../../../src/adapters/broker/embedded/embedded-broker.ts';
import type { TestAgent } from '../../support/agent-harness.ts';
import { USERS } from '../../support/agent-harness.ts';
import type { RawReply } from '../../support/raw-client.ts';
import { RawClient } from '../../support/raw-client.ts';

export type UserName = keyof typeof USERS;

export const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

/** The PLAIN initial response for a user of the harness. */
export const plainResponse = (user: string, password: string): string => b64(`\0${user}\0${password}`);

/** Opens an implicit-TLS session and authenticates as `user` with PLAIN. */
export async function login(t: TestAgent, user: UserName): Promise<RawClient> {
  const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
  expectReply(
    await c.command(`AUTHENTICATE PLAIN ${plainResponse(user, USERS[user])}`),
    235,
    `authenticated as ${user}`,
  );
  return c;
}

/** Opens a plain session and authenticates with ANONYMOUS. */
export async function loginAnonymous(t: TestAgent): Promise<RawClient> {
  const c = await RawClient.open(t.port);
  expectReply(await c.command('AUTHENTICATE ANONYMOUS ='), 235, 'authenticated as anonymous');
  return c;
}

/** Asserts a reply's code and that its text (all lines joined) contains `text`. */
export function expectReply(r: RawReply, code: number, text?: string | RegExp): RawReply {
  assert.equal(r.code, code, `expected ${code}, got ${r.raw.trim()}`);
  const all = r.lines.join('\n');
  if (typeof text === 'string')
    assert.ok(all.includes(text), `expected "${text}" in ${JSON.stringify(r.raw)}`);
  else if (text) assert.match(all, text);
  return r;
}

/** The last line of a reply (the summary of a list or a READ FLOW). */
export const lastLine = (r: RawReply): string => r.lines[r.lines.length - 1] ?? '';

/** Parses `key=value` body lines of a DESCRIBE reply. */
export function body(r: RawReply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of r.lines) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The agent keeps serving everyone: a fresh client gets a greeting and a 250 to NOOP. */
export async function assertServes(t: TestAgent): Promise<void> {
  const c = await RawClient.open(t.port);
  try {
    expectReply(await c.command('NOOP'), 250, 'OK');
    expectReply(await c.command('QUIT'), 221);
    await c.waitClosed();
  } finally {
    c.close();
  }
}

/** A valid CloudEvent in JSON structured mode, compact as the agent stores it. */
export function event(id: string | number, data: unknown = `event ${id}`): string {
  return JSON.stringify({ specversion: '1.0', id: String(id), source: 'urn:test', type: 'test.event', data });
}

/** WRITE FLOW with the given lines (dot-stuffing left to the caller), returns the final reply. */
export async function writeLines(c: RawClient, flow: string, lines: readonly string[]): Promise<RawReply> {
  expectReply(await c.command(`WRITE FLOW ${flow}`), 354, 'send events');
  c.send(lines.map((line) => `${line}\r\n`).join('') + '.\r\n');
  return c.reply();
}

/** Writes valid events and checks the 250. */
export async function writeEvents(c: RawClient, flow: string, events: readonly string[]): Promise<RawReply> {
  return expectReply(await writeLines(c, flow, events), 250, `${events.length} accepted`);
}

/** READ FLOW's events and its closing `next=... count=...` line. */
export interface ReadResult {
  readonly events: string[];
  readonly next: number;
  readonly count: number;
}

export function readResult(r: RawReply): ReadResult {
  expectReply(r, 250);
  const m = /^next=(\d+) count=(\d+)$/.exec(lastLine(r));
  assert.ok(m, `no next=/count= line in ${JSON.stringify(r.raw)}`);
  return { events: r.lines.slice(0, -1), next: Number(m[1]), count: Number(m[2]) };
}

export function localBroker(t: TestAgent): EmbeddedBroker {
  return t.agent.deps.brokers.get('local') as EmbeddedBroker;
}

/** Polls `check` until it holds (fails after a generous timeout). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Connects from a chosen loopback address (127.0.0.0/8 is all local on Linux) and returns the
 * first line the agent sends, with the socket.
 */
export async function firstLineFrom(
  port: number,
  localAddress: string,
): Promise<{ line: string; socket: net.Socket }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await eventually(() => text.includes('\r\n') || socket.destroyed, 'the agent sent a line', 5000);
  return { line: text.slice(0, text.indexOf('\r\n')), socket };
}

/**
 * Waits until the agent has closed the client's connection. Unlike RawClient.waitClosed, it also
 * works after upgrade(), which drops the listener behind waitClosed's promise.
 */
export async function closedByAgent(c: RawClient, timeoutMs = 10_000): Promise<void> {
  await eventually(() => c.isClosed, 'the agent closed the connection', timeoutMs);
}
