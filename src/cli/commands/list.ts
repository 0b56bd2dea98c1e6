import { parseBody } from '../../protocol/kv.ts';

/** One line of a LIST reply: `<name> key=value ...`. */
export function parseListItem(line: string): { name: string; attributes: Record<string, string> } {
  const [name = '', ...pairs] = line.split(' ');
  return { name, attributes: parseBody(pairs) };
}
