/** CREATE / DESCRIBE / DELETE NAMESPACE and LIST NAMESPACES. */
import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import { formatPair } from '../../protocol/kv.ts';
import {
  createNamespace,
  deleteNamespace,
  describeNamespace,
  listNamespaces,
} from '../../core/namespaces.ts';
import { expectArgs, first } from './args.ts';
import { parseNamespaceName } from '../../core/names.ts';

export const createNamespaceCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'CREATE NAMESPACE <namespace>');
  const ns = await createNamespace(ctx.agent.deps, identityOf(ctx), first(args));
  return done(reply(ReplyCode.Ok, `namespace ${ns.name} created`));
};

export const describeNamespaceCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'DESCRIBE NAMESPACE <namespace>');
  const ns = await describeNamespace(ctx.agent.deps, identityOf(ctx), first(args));
  return done(
    reply(
      ReplyCode.Ok,
      formatPair('namespace', ns.name),
      formatPair('owner', ns.owner),
      formatPair('parent', ns.parent ?? ''),
      formatPair('description', ns.description),
      formatPair('flows', ns.flows),
      formatPair('namespaces', ns.children),
      formatPair('created', ns.createdAt),
      'OK',
    ),
  );
};

export const deleteNamespaceCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'DELETE NAMESPACE <namespace>');
  await deleteNamespace(ctx.agent.deps, identityOf(ctx), first(args));
  return done(reply(ReplyCode.Ok, `namespace ${parseNamespaceName(first(args))} deleted`));
};

export const listNamespacesCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 0, 0, 'LIST NAMESPACES');
  const all = await listNamespaces(ctx.agent.deps, identityOf(ctx));
  const lines = all.map(
    (ns) => `${ns.name} ${formatPair('owner', ns.owner)} ${formatPair('parent', ns.parent ?? '')}`,
  );
  return done(reply(ReplyCode.Ok, ...lines, `${all.length} namespaces`));
};

/** Handlers past the state table run only for authenticated sessions. */
export function identityOf(ctx: Parameters<CommandHandler>[1]) {
  const identity = ctx.session.identity;
  if (!identity) throw new Error('state table let an unauthenticated session through');
  return identity;
}
