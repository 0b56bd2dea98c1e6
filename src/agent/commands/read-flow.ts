/** READ FLOW <flow> [FROM <position>|earliest|latest] [LIMIT <n>] [WAIT <seconds>] */
import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import type { ReadStart } from '../../core/flows.ts';
import { readFlow } from '../../core/flows.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { AgentLimits } from '../limits.ts';
import { expectArgs, first, parseCount } from './args.ts';
import { identityOf } from './namespaces.ts';

const USAGE = 'READ FLOW <flow> [FROM <position>|earliest|latest] [LIMIT <n>] [WAIT <seconds>]';
const KEYWORDS: ReadonlySet<string> = new Set(['FROM', 'LIMIT', 'WAIT']);

export interface ReadOptions {
  start: ReadStart;
  limit: number;
  waitSeconds: number;
}

export function parseReadOptions(args: readonly string[], limits: AgentLimits): ReadOptions {
  const options: ReadOptions = { start: 'committed', limit: limits.defaultReadEvents, waitSeconds: 0 };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i += 2) {
    const keyword = (args[i] ?? '').toUpperCase();
    const value = args[i + 1];
    if (!KEYWORDS.has(keyword))
      throw invalidArgument(`unknown READ FLOW option "${args[i] ?? ''}"; syntax: ${USAGE}`);
    if (value === undefined) throw invalidArgument(`${keyword} needs a value; syntax: ${USAGE}`);
    if (seen.has(keyword)) throw invalidArgument(`${keyword} given twice`);
    seen.add(keyword);
    switch (keyword) {
      case 'FROM': {
        const v = value.toLowerCase();
        options.start =
          v === 'earliest' || v === 'latest' ? v : parseCount(value, 'FROM', 0, Number.MAX_SAFE_INTEGER);
        break;
      }
      case 'LIMIT':
        options.limit = parseCount(value, 'LIMIT', 1, limits.maxReadEvents);
        break;
      case 'WAIT':
        options.waitSeconds = parseCount(value, 'WAIT', 0, limits.maxWaitSeconds);
        break;
      default:
        throw invalidArgument(`unknown READ FLOW option "${args[i] ?? ''}"; syntax: ${USAGE}`);
    }
  }
  return options;
}

export const readFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 7, USAGE);
  const { limits } = ctx.agent;
  const options = parseReadOptions(args.slice(1), limits);
  const result = await readFlow(ctx.agent.deps, identityOf(ctx), first(args), {
    start: options.start,
    limit: options.limit,
    maxBytes: limits.maxReadOctets,
    waitMs: options.waitSeconds * 1000,
    signal: ctx.signal,
  });
  const lines = result.events.map((e) => e.json);
  lines.push(`next=${result.next} count=${result.events.length}`);
  return done(reply(ReplyCode.Ok, ...lines), result.commit);
};
