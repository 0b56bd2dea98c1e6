/**
 * Splits a command line into its verb and arguments. Verbs that name an object take two words
 * (`CREATE FLOW`, `LIST NAMESPACES`), as in the seed's figure 11; verbs are case-insensitive.
 */

/** First words that need an object word after them. */
export const OBJECT_VERBS: ReadonlySet<string> = new Set([
  'CREATE',
  'DESCRIBE',
  'DELETE',
  'UPDATE',
  'LIST',
  'READ',
  'WRITE',
  'PAUSE',
  'RESUME',
  'STOP',
  'REMOVE',
  'DESTROY',
]);

export interface CommandLine {
  /** Upper-case verb, one or two words: `NOOP`, `CREATE FLOW`. */
  readonly verb: string;
  readonly args: readonly string[];
}

export function parseCommandLine(line: string): CommandLine | undefined {
  const words = line.trim().split(/ +/);
  const first = words[0]?.toUpperCase();
  if (!first) return undefined;
  if (OBJECT_VERBS.has(first) && words.length > 1) {
    return { verb: `${first} ${(words[1] ?? '').toUpperCase()}`, args: words.slice(2) };
  }
  return { verb: first, args: words.slice(1) };
}

const HTTP_REQUEST = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d/i;

/** True for an HTTP request line: somebody pointed a browser or an HTTP client at the agent. */
export function isHttpRequest(line: string): boolean {
  return HTTP_REQUEST.test(line);
}
