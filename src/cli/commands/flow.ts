/** eson create|delete|describe|update flow, eson get flows */
import { FnapClient } from '../../client/fnap-client.ts';
import { formatPair } from '../../protocol/kv.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';
import { withSession } from '../session.ts';
import { parseListItem } from './list.ts';
import { parseFlowName } from '../../core/names.ts';

export interface FlowOptions {
  broker?: string;
  visibility?: string;
  public?: boolean;
  description?: string;
}

function flowPairs(options: FlowOptions): string[] {
  const pairs: string[] = [];
  if (options.broker) pairs.push(formatPair('broker', options.broker));
  if (options.public && options.visibility && options.visibility !== 'public') {
    throw new CliError('--public contradicts --visibility', ExitCode.Usage);
  }
  const visibility = options.public ? 'public' : options.visibility;
  if (visibility) pairs.push(formatPair('visibility', visibility));
  if (options.description !== undefined) pairs.push(formatPair('description', options.description));
  return pairs;
}

export async function createFlow(
  name: string,
  options: FlowOptions & GlobalOptions,
  out: Output,
): Promise<void> {
  const r = await withSession(
    options,
    (c) => c.command(['CREATE FLOW', name, ...flowPairs(options)].join(' ')),
    name,
  );
  out.result(r.lines[0] ?? '', { flow: parseFlowName(name), created: true });
}

export async function updateFlow(
  name: string,
  options: FlowOptions & GlobalOptions,
  out: Output,
): Promise<void> {
  const pairs = flowPairs(options);
  if (pairs.length === 0)
    throw new CliError('nothing to update: pass --visibility or --description', ExitCode.Usage);
  const r = await withSession(options, (c) => c.command(['UPDATE FLOW', name, ...pairs].join(' ')), name);
  out.result(r.lines[0] ?? '', { flow: parseFlowName(name), updated: true });
}

export async function deleteFlow(name: string, options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command(`DELETE FLOW ${name}`), name);
  out.result(r.lines[0] ?? '', { flow: parseFlowName(name), deleted: true });
}

export async function describeFlow(name: string, options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command(`DESCRIBE FLOW ${name}`), name);
  const body = FnapClient.body(r);
  out.result(
    Object.entries(body).map(([k, v]) => `${k.padEnd(12)} ${v}`),
    body,
  );
}

export async function getFlows(
  namespace: string | undefined,
  options: GlobalOptions,
  out: Output,
): Promise<void> {
  const r = await withSession(
    options,
    (c) => c.command(namespace ? `LIST FLOWS ${namespace}` : 'LIST FLOWS'),
    namespace,
  );
  const items = r.lines.slice(0, -1).map(parseListItem);
  out.result(
    items.length === 0
      ? ['no flows']
      : items.map(
          (i) =>
            `${i.name}  broker=${i.attributes['broker'] ?? ''} visibility=${i.attributes['visibility'] ?? ''}`,
        ),
    items.map((i) => ({ flow: i.name, ...i.attributes })),
  );
}
