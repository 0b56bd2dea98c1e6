/**
 * What a handler decides, before the dispatcher turns it into a message: RCODE, the AA bit and the
 * three record sections. The dispatcher adds the header, the echoed question, OPT and TSIG, and
 * fits the result to the transport (dispatch.ts). Handlers never see sockets.
 */
import type { Question } from '../wire/question.ts';
import type { WireRecord } from '../wire/record.ts';

export interface Reply {
  /** up to 12 bits (EDNS extends the header's 4, RFC 6891 §6.1.3) */
  readonly rcode: number;
  readonly aa: boolean;
  /** the question (QUERY) or zone (UPDATE) section of the answer */
  readonly questions: readonly Question[];
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
  /** OPT and TSIG are the dispatcher's */
  readonly additionals: readonly WireRecord[];
}

/** An answer with no records. */
export const bare = (rcode: number, questions: readonly Question[] = [], aa = false): Reply => ({
  rcode,
  aa,
  questions,
  answers: [],
  authorities: [],
  additionals: [],
});
