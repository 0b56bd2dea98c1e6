/** Output of CLI commands: human text by default, one JSON document with --json. */
export interface Output {
  readonly json: boolean;
  /** Prints `human` (lines) or, with --json, `data` as JSON. */
  result(human: string | readonly string[], data: unknown): void;
}

export function createOutput(
  json: boolean,
  write: (text: string) => void = (t) => process.stdout.write(t),
): Output {
  return {
    json,
    result(human, data) {
      if (json) write(`${JSON.stringify(data)}\n`);
      else {
        const lines = typeof human === 'string' ? [human] : human;
        if (lines.length > 0) write(`${lines.join('\n')}\n`);
      }
    },
  };
}
