/** CREATE / DESCRIBE / UPDATE / DELETE FLOW and LIST FLOWS. */
import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import { formatPair, parsePairs } from '../../protocol/kv.ts';
import {
  createFlow,
  deleteFlow,
  describeFlow,
  listFlows,
  parseVisibility,
  updateFlow,
} from '../../core/flows.ts';
import type { FlowPatch } from '../../ports/registry.ts';
import { flowUri } from '../../core/names.ts';
import { expectArgs, first } from './args.ts';
import { identityOf } from './namespaces.ts';

const CREATE_KEYS = ['broker', 'visibility', 'description'] as const;
const UPDATE_KEYS = ['visibility', 'description'] as const;

export const createFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(
    args,
    1,
    1 + CREATE_KEYS.length,
    'CREATE FLOW <flow> [broker=<type>] [visibility=public|private] [description=<text>]',
  );
  const options = parsePairs(args.slice(1), CREATE_KEYS);
  const visibility = options.get('visibility');
  const flow = await createFlow(ctx.agent.deps, identityOf(ctx), first(args), {
    broker: options.get('broker')?.toLowerCase(),
    visibility: visibility === undefined ? undefined : parseVisibility(visibility),
    description: options.get('description'),
  });
  return done(reply(ReplyCode.Ok, `flow ${flow.name} created`));
};

export const describeFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'DESCRIBE FLOW <flow>');
  const { flow, queue, dns } = await describeFlow(ctx.agent.deps, identityOf(ctx), first(args));
  // What DNS says, where the agent has a name service: registered, missing, other, unavailable.
  const dnsLines = dns
    ? [
        formatPair('dns', dns.status),
        ...(dns.agent ? [formatPair('dns-agent', dns.agent)] : []),
        ...(dns.broker ? [formatPair('dns-broker', dns.broker)] : []),
        ...(dns.detail ? [formatPair('dns-detail', dns.detail)] : []),
      ]
    : [];
  return done(
    reply(
      ReplyCode.Ok,
      formatPair('flow', flow.name),
      formatPair('uri', flowUri(flow.name)),
      formatPair('namespace', flow.namespace),
      formatPair('owner', flow.owner),
      formatPair('broker', flow.broker),
      formatPair('endpoint', queue.endpoint),
      formatPair('queue', flow.queue),
      formatPair('tls', queue.tls),
      formatPair('visibility', flow.visibility),
      formatPair('description', flow.description),
      formatPair('created', flow.createdAt),
      formatPair('updated', flow.updatedAt),
      formatPair('first', queue.firstPosition),
      formatPair('next', queue.nextPosition),
      ...dnsLines,
      'OK',
    ),
  );
};

export const updateFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(
    args,
    2,
    1 + UPDATE_KEYS.length,
    'UPDATE FLOW <flow> key=value ... (keys: visibility, description)',
  );
  const pairs = parsePairs(args.slice(1), UPDATE_KEYS);
  const patch: { -readonly [K in keyof FlowPatch]: FlowPatch[K] } = {};
  const visibility = pairs.get('visibility');
  if (visibility !== undefined) patch.visibility = parseVisibility(visibility);
  const description = pairs.get('description');
  if (description !== undefined) patch.description = description;
  const flow = await updateFlow(ctx.agent.deps, identityOf(ctx), first(args), patch);
  return done(reply(ReplyCode.Ok, `flow ${flow.name} updated`));
};

export const deleteFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'DELETE FLOW <flow>');
  const flow = await deleteFlow(ctx.agent.deps, identityOf(ctx), first(args));
  return done(reply(ReplyCode.Ok, `flow ${flow.name} deleted`));
};

export const listFlowsCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 0, 1, 'LIST FLOWS [<namespace>]');
  const flows = await listFlows(ctx.agent.deps, identityOf(ctx), args[0]);
  const lines = flows.map(
    (f) =>
      `${f.name} ${formatPair('broker', f.broker)} ${formatPair('visibility', f.visibility)} ${formatPair('owner', f.owner)}`,
  );
  return done(reply(ReplyCode.Ok, ...lines, `${flows.length} flows`));
};
