/**
 * Calls FNAP command handlers directly: a CommandContext over the core fixture (in-memory registry,
 * embedded broker in a temporary directory), and the error mapping the connection applies.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type {
  AgentContext,
  CommandContext,
  CommandHandler,
  CommandResult,
  SessionView,
} from '../../../src/agent/command.ts';
import { COMMANDS } from '../../../src/agent/commands/index.ts';
import { DEFAULT_LIMITS } from '../../../src/agent/limits.ts';
import type { AgentLimits } from '../../../src/agent/limits.ts';
import { SASL_MECHANISMS } from '../../../src/auth/sasl/registry.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { parseCommandLine } from '../../../src/protocol/command-line.ts';
import { replyForError } from '../../../src/protocol/error-replies.ts';
import type { Reply } from '../../../src/protocol/reply.ts';
import type { Fixture, FixtureOptions } from '../core/helpers.ts';
import { fixture } from '../core/helpers.ts';

export const FQDN = 'fnaa.example.test';

export interface ContextOptions {
  readonly identity?: Identity | undefined;
  readonly tls?: boolean;
  readonly tlsAvailable?: boolean;
  readonly insecurePlain?: boolean;
  readonly limits?: Partial<AgentLimits>;
  readonly signal?: AbortSignal;
}

export interface CommandFixture extends Fixture {
  /** A context for one command; without `identity` the session is not authenticated. */
  ctx(options?: ContextOptions): CommandContext;
}

export async function commandFixture(t: TestContext, options: FixtureOptions = {}): Promise<CommandFixture> {
  const f = await fixture(t, options);
  const log = silentLogger();
  return {
    ...f,
    ctx(o: ContextOptions = {}): CommandContext {
      const session: SessionView = {
        id: 'session-1',
        remoteAddress: '127.0.0.1',
        tls: o.tls ?? false,
        identity: o.identity,
      };
      const agent: AgentContext = {
        fqdn: FQDN,
        deps: f.deps,
        limits: { ...DEFAULT_LIMITS, ...o.limits },
        tlsAvailable: o.tlsAvailable ?? true,
        insecurePlain: o.insecurePlain ?? false,
        mechanisms: SASL_MECHANISMS,
        log,
      };
      return { session, agent, signal: o.signal ?? new AbortController().signal };
    },
  };
}

/** Runs a handler as the connection does: a domain error becomes its reply; anything else is thrown. */
export async function run(
  handler: CommandHandler,
  args: readonly string[],
  ctx: CommandContext,
): Promise<CommandResult> {
  try {
    return await handler(args, ctx);
  } catch (error) {
    const mapped = replyForError(error);
    if (!mapped) throw error;
    return { kind: 'reply', reply: mapped };
  }
}

/** Runs a handler that must answer with a reply, and returns that reply. */
export async function replyOf(
  handler: CommandHandler,
  args: readonly string[],
  ctx: CommandContext,
): Promise<Reply> {
  const result = await run(handler, args, ctx);
  assert.ok(result.kind === 'reply', `expected a reply, got ${result.kind}`);
  return result.reply;
}

/** Asserts a reply's code and that its last line matches. */
export function assertReply(r: Reply, code: number, last?: RegExp | string): void {
  assert.equal(r.code, code, `reply ${r.code} ${r.lines.join(' / ')}`);
  if (last === undefined) return;
  const text = r.lines.at(-1) ?? '';
  if (typeof last === 'string') assert.equal(text, last);
  else assert.match(text, last);
}

/** Parses a command line as the connection does and runs the handler of its verb. */
export async function exec(ctx: CommandContext, line: string): Promise<CommandResult> {
  const command = parseCommandLine(line);
  assert.ok(command, `no command in ${JSON.stringify(line)}`);
  const handler = COMMANDS.get(command.verb);
  assert.ok(handler, `no handler for ${command.verb}`);
  return run(handler, command.args, ctx);
}

/** exec for a command that must answer with a reply. */
export async function execReply(ctx: CommandContext, line: string): Promise<Reply> {
  const result = await exec(ctx, line);
  assert.ok(result.kind === 'reply', `expected a reply, got ${result.kind}`);
  return result.reply;
}
