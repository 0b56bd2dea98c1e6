/**
 * eson write <flow> [data...]: each argument, or each stdin line, becomes one event. Plain text and
 * JSON data are wrapped in a CloudEvent; with --raw each line already is CloudEvent JSON.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { buildEvent, parseEventJson } from '../../events/cloudevent.ts';
import type { FnapClient } from '../../client/fnap-client.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';
import { withSession } from '../session.ts';

/** Events per WRITE FLOW batch; a long stdin stream is sent as several atomic batches. */
export const CLI_BATCH_EVENTS = 1000;
/** Octets per batch, kept well below the agent's default batch limit of 16 MiB. */
export const CLI_BATCH_OCTETS = 4 * 1024 * 1024;

export interface WriteOptions extends GlobalOptions {
  type?: string;
  source?: string;
  subject?: string;
  raw?: boolean;
}

export async function write(
  flow: string,
  data: readonly string[],
  options: WriteOptions,
  out: Output,
  stdin: Readable = process.stdin,
): Promise<void> {
  const toEvent = (text: string, line: number): string => {
    try {
      return options.raw
        ? parseEventJson(text).json
        : buildEvent({ data: text, type: options.type, source: options.source, subject: options.subject });
    } catch (error) {
      throw new CliError(
        `input line ${line}: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.Rejected,
      );
    }
  };
  let accepted = 0;
  let next: number | undefined;
  const send = async (client: FnapClient, batch: string[]) => {
    if (batch.length === 0) return;
    const r = await client.writeEvents(flow, batch);
    const m = /^(\d+) accepted next=(\d+)/.exec(r.lines[0] ?? '');
    accepted += Number(m?.[1] ?? batch.length);
    if (m?.[2]) next = Number(m[2]);
  };
  await withSession(
    options,
    async (client) => {
      if (data.length > 0) {
        await send(
          client,
          data.map((d, i) => toEvent(d, i + 1)),
        );
        return;
      }
      let batch: string[] = [];
      let octets = 0;
      let line = 0;
      for await (const text of createInterface({ input: stdin, crlfDelay: Infinity })) {
        line++;
        if (text.trim() === '') continue;
        const event = toEvent(text, line);
        batch.push(event);
        octets += event.length;
        if (batch.length >= CLI_BATCH_EVENTS || octets >= CLI_BATCH_OCTETS) {
          await send(client, batch);
          batch = [];
          octets = 0;
        }
      }
      await send(client, batch);
    },
    flow,
  );
  if (accepted === 0 && data.length === 0) throw new CliError('no events on standard input', ExitCode.Usage);
  out.result(`${accepted} events written to ${flow}`, { flow, accepted, next });
}
