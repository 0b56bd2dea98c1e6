/**
 * A reply value: what a command handler returns and only the connection writes (RFC 5321 §4.2
 * framing: `NNN-text` continuation lines, `NNN text` on the last).
 */
export interface Reply {
  readonly code: number;
  /** At least one line; none may contain CR or LF. */
  readonly lines: readonly string[];
  /** Close the session once this reply is written (221 after QUIT, 421s). */
  readonly close?: boolean;
}

export function reply(code: number, ...lines: string[]): Reply {
  return { code, lines: lines.length === 0 ? [''] : lines };
}

export function closingReply(code: number, text: string): Reply {
  return { code, lines: [text], close: true };
}

export function formatReply(r: Reply): string {
  const last = r.lines.length - 1;
  let out = '';
  for (let i = 0; i <= last; i++) {
    out += `${r.code}${i < last ? '-' : ' '}${r.lines[i] ?? ''}\r\n`;
  }
  return out;
}

/** A reply line as read by a client. */
export interface ReplyLine {
  readonly code: number;
  readonly last: boolean;
  readonly text: string;
}

// The separator and text are optional: a bare "NNN" is a valid last line (RFC 5321 §4.2.1).
const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;

export function parseReplyLine(line: string): ReplyLine | undefined {
  const m = REPLY_LINE.exec(line);
  if (!m) return undefined;
  return { code: Number(m[1]), last: m[2] !== '-', text: m[3] ?? '' };
}
