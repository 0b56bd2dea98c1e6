/** eson read <flow> [--from] [--limit] [--follow]: prints one CloudEvent JSON per line. */
import { CliError, ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';
import { withSession } from '../session.ts';

/** Seconds each long poll of --follow waits for new events. */
export const FOLLOW_WAIT_SECONDS = 20;

export interface ReadOptions extends GlobalOptions {
  from?: string;
  limit?: string;
  follow?: boolean;
  wait?: string;
}

function readCommand(
  flow: string,
  from: string | undefined,
  limit: string | undefined,
  wait: number,
): string {
  const parts = ['READ FLOW', flow];
  if (from !== undefined && from !== 'committed') parts.push('FROM', from);
  if (limit !== undefined) parts.push('LIMIT', limit);
  if (wait > 0) parts.push('WAIT', String(wait));
  return parts.join(' ');
}

export async function read(
  flow: string,
  options: ReadOptions,
  out: Output,
  signal?: AbortSignal,
): Promise<void> {
  const from = options.from ?? 'earliest';
  if (!/^(\d+|earliest|latest|committed)$/.test(from)) {
    throw new CliError(
      `--from must be a position, earliest, latest or committed, not "${from}"`,
      ExitCode.Usage,
    );
  }
  const wait = options.wait === undefined ? 0 : Number(options.wait);
  await withSession(
    options,
    async (client) => {
      let position: string | undefined = from;
      const all: unknown[] = [];
      for (;;) {
        const waitNow = options.follow ? FOLLOW_WAIT_SECONDS : wait;
        const r = await client.command(readCommand(flow, position, options.limit, waitNow), {
          timeoutMs: (waitNow + 30) * 1000,
        });
        const events = r.lines.slice(0, -1);
        const next = /next=(\d+)/.exec(r.lines[r.lines.length - 1] ?? '')?.[1];
        if (options.follow || !out.json) {
          if (events.length > 0) process.stdout.write(`${events.join('\n')}\n`);
        } else {
          for (const e of events) all.push(JSON.parse(e));
          out.result([], { flow, events: all, next: Number(next) });
        }
        if (!options.follow || signal?.aborted) return;
        // "committed" reads advance the identity's position on the agent; others go on from next.
        if (position !== 'committed') position = next;
      }
    },
    flow,
  );
}
