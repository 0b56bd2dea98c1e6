/** eson create|delete|describe namespace, eson get namespaces */
import { FnapClient } from '../../client/fnap-client.ts';
import type { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';
import { withSession } from '../session.ts';
import { parseListItem } from './list.ts';

export async function createNamespace(name: string, options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command(`CREATE NAMESPACE ${name}`), name);
  out.result(r.lines[0] ?? '', { namespace: name.toLowerCase(), created: true });
}

export async function deleteNamespace(name: string, options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command(`DELETE NAMESPACE ${name}`), name);
  out.result(r.lines[0] ?? '', { namespace: name.toLowerCase(), deleted: true });
}

export async function describeNamespace(name: string, options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command(`DESCRIBE NAMESPACE ${name}`), name);
  const body = FnapClient.body(r);
  out.result(
    Object.entries(body).map(([k, v]) => `${k.padEnd(12)} ${v}`),
    body,
  );
}

export async function getNamespaces(options: GlobalOptions, out: Output): Promise<void> {
  const r = await withSession(options, (c) => c.command('LIST NAMESPACES'));
  const items = r.lines.slice(0, -1).map(parseListItem);
  out.result(
    items.length === 0
      ? ['no namespaces']
      : items.map((i) => `${i.name}  owner=${i.attributes['owner'] ?? ''}`),
    items.map((i) => ({ namespace: i.name, ...i.attributes })),
  );
}
