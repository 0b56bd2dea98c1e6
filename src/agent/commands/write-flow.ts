/**
 * WRITE FLOW <flow>: 354, then one CloudEvent JSON per line until ".". Each line is validated as it
 * arrives (so a bad batch holds no more than its valid prefix), and the batch is appended in one
 * broker call at the end: all events stored, or none.
 */
import type { CommandHandler, DataSink } from '../command.ts';
import type { Reply } from '../../protocol/reply.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import { appendEvents, writableFlow } from '../../core/flows.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { FlowRecord } from '../../ports/registry.ts';
import { parseEventJson } from '../../events/cloudevent.ts';
import { replyForError } from '../../protocol/error-replies.ts';
import type { AgentLimits } from '../limits.ts';
import type { LineFault } from '../../protocol/line-framer.ts';
import { expectArgs, first } from './args.ts';
import { identityOf } from './namespaces.ts';

export class EventBatch implements DataSink {
  private readonly events: string[] = [];
  private octets = 0;
  private lineNumber = 0;
  private refusal: Reply | undefined;
  private readonly deps: CoreDeps;
  private readonly flow: FlowRecord;
  private readonly limits: AgentLimits;

  constructor(deps: CoreDeps, flow: FlowRecord, limits: AgentLimits) {
    this.deps = deps;
    this.flow = flow;
    this.limits = limits;
  }

  line(text: string): boolean {
    this.lineNumber++;
    if (this.refusal) return false;
    if (this.events.length >= this.limits.maxBatchEvents) {
      return this.refuse(`batch exceeds ${this.limits.maxBatchEvents} events`);
    }
    this.octets += Buffer.byteLength(text, 'utf8');
    if (this.octets > this.limits.maxBatchOctets)
      return this.refuse(`batch exceeds ${this.limits.maxBatchOctets} octets`);
    try {
      this.events.push(parseEventJson(text).json);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.refuse(`line ${this.lineNumber}: ${message}`);
    }
    return true;
  }

  fault(fault: LineFault): void {
    this.lineNumber++;
    if (this.refusal) return;
    const why: Record<LineFault, string> = {
      'too-long': `event exceeds ${this.limits.maxEventOctets} octets`,
      nul: 'event holds a NUL byte',
      'bare-cr': 'event holds a bare CR',
      'invalid-utf8': 'event is not valid UTF-8',
    };
    this.refuse(`line ${this.lineNumber}: ${why[fault]}`);
  }

  async finish(): Promise<Reply> {
    if (this.refusal) return this.refusal;
    if (this.events.length === 0) return reply(ReplyCode.Rejected, 'empty batch: no events before "."');
    try {
      const { next } = await appendEvents(this.deps, this.flow, this.events);
      return reply(ReplyCode.Ok, `${this.events.length} accepted next=${next}`);
    } catch (error) {
      const mapped = replyForError(error);
      if (mapped) return mapped;
      throw error;
    }
  }

  private refuse(text: string): false {
    this.refusal = reply(ReplyCode.Rejected, `${text}; nothing of this batch was stored`);
    this.events.length = 0; // free the memory; the rest of the batch is read and dropped
    return false;
  }
}

export const writeFlowCommand: CommandHandler = async (args, ctx) => {
  expectArgs(args, 1, 1, 'WRITE FLOW <flow>');
  const flow = await writableFlow(ctx.agent.deps, identityOf(ctx), first(args));
  return { kind: 'data', sink: new EventBatch(ctx.agent.deps, flow, ctx.agent.limits) };
};
