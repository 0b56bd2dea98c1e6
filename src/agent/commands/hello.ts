import type { AgentContext, CommandHandler, SessionView } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import { expectArgs, first } from './args.ts';

/** The mechanisms this session may use: PLAIN only where the password cannot be read off the wire. */
export function offeredMechanisms(agent: AgentContext, session: SessionView): string[] {
  return [...agent.mechanisms.keys()].filter(
    (name) => name !== 'PLAIN' || session.tls || agent.insecurePlain,
  );
}

/** HELLO <client-name>: names the agent and lists the session's capabilities. */
export const hello: CommandHandler = (args, ctx) => {
  expectArgs(args, 1, 1, 'HELLO <client-name>');
  const { agent, session } = ctx;
  const { limits } = agent;
  const lines = [`${agent.fqdn} greets ${first(args)}`];
  if (agent.tlsAvailable && !session.tls) lines.push('STARTTLS');
  lines.push(`AUTH ${offeredMechanisms(agent, session).join(' ')}`);
  lines.push('PIPELINING');
  lines.push(
    `LIMITS line=${limits.maxLineOctets} event=${limits.maxEventOctets} batch-events=${limits.maxBatchEvents} ` +
      `batch-octets=${limits.maxBatchOctets} read-events=${limits.maxReadEvents} wait=${limits.maxWaitSeconds}`,
  );
  // Processor types arrive with the processor host; the capability is listed empty until then.
  lines.push('PROCESSORS');
  lines.push(`BROKERS ${[...agent.deps.brokers.keys()].join(' ')}`);
  return Promise.resolve(done(reply(ReplyCode.Ok, ...lines)));
};
