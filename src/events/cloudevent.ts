/**
 * One CloudEvent in JSON structured mode (CloudEvents 1.0, JSON event format 1.0.2): validation of
 * what writers send, and construction of the events the CLI writes.
 *
 * The `cloudevents` library applies the spec's rules (JSON schema: URI-reference `source`, RFC 3339
 * `time`, absolute-URI `dataschema`...), but its constructor fills in a missing `id`, `time` and
 * `specversion` and throws terse or non-ValidationError errors, so the raw object is checked here
 * first and every failure becomes an InvalidEventError whose message names what is wrong.
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent, ValidationError } from 'cloudevents';
import { EsonError } from '../core/errors.ts';

export const SPEC_VERSION = '1.0';
export const DEFAULT_CLI_EVENT_TYPE = 'eson.cli.write';
export const DEFAULT_CLI_EVENT_SOURCE = 'eson://cli';

/** Attribute names shown in error messages are cut to this many characters. */
const MAX_NAME_IN_MESSAGE = 40;
// CloudEvents 1.0 §Attribute Naming Convention.
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
// RFC 4648 §4 base64 with padding, as `data_base64` requires.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 3339 §5.6 date-time: the library's check (ajv-formats 2.1) lets a missing time-offset through.
const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
// CloudEvents type system: Integer is a signed 32-bit whole number.
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

const REQUIRED_ATTRIBUTES = ['specversion', 'id', 'source', 'type'] as const;
const OPTIONAL_ATTRIBUTES = new Set(['datacontenttype', 'dataschema', 'subject', 'time']);
// Members of the JSON envelope that are not context attributes.
const DATA_MEMBERS = new Set(['data', 'data_base64']);

/** The event is not a valid CloudEvent 1.0 in JSON structured mode. */
export class InvalidEventError extends EsonError {
  constructor(message: string) {
    super('rejected', message);
    this.name = 'InvalidEventError';
  }
}

export interface ParsedEvent {
  /**
   * The JSON text to store: the text as received (trimmed; line breaks, which JSON allows only
   * between tokens, become spaces). Not re-serialised, so that numbers beyond double precision
   * and every other byte of the producer's event survive unchanged.
   */
  readonly json: string;
  /** The parsed event (shallowly frozen). */
  readonly event: Readonly<Record<string, unknown>>;
}

/**
 * Parses and validates one CloudEvent in JSON structured mode. Throws InvalidEventError, and only
 * that, when the text is not a valid event.
 */
export function parseEventJson(text: string): ParsedEvent {
  if (typeof text !== 'string') throw new InvalidEventError('event must be JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8's message quotes part of the input; only the position is kept.
    const where = error instanceof Error ? /position \d+/.exec(error.message)?.[0] : undefined;
    throw new InvalidEventError(`event is not valid JSON${where === undefined ? '' : ` (at ${where})`}`);
  }
  if (!isPlainObject(parsed)) {
    throw new InvalidEventError(`event must be a JSON object, not ${describeJsonType(parsed)}`);
  }
  const duplicate = firstDuplicateTopLevelKey(text);
  if (duplicate !== undefined) throw new InvalidEventError(`attribute ${quoteName(duplicate)} appears twice`);
  checkAttributes(parsed);
  checkWithLibrary(parsed);
  return { json: text.trim().replace(/[\r\n]+/g, ' '), event: Object.freeze(parsed) };
}

export interface BuildEventInput {
  /** Plain text, or JSON text (sent as a JSON value with datacontenttype application/json). */
  readonly data: string;
  readonly type?: string | undefined;
  readonly source?: string | undefined;
  readonly subject?: string | undefined;
  readonly id?: string | undefined;
}

/** Builds the JSON text of a CloudEvent around CLI input, validated like any written event. */
export function buildEvent(input: BuildEventInput): string {
  let data: unknown;
  let datacontenttype: string;
  try {
    data = JSON.parse(input.data);
    datacontenttype = 'application/json';
  } catch {
    data = input.data;
    datacontenttype = 'text/plain';
  }
  const event: Record<string, unknown> = {
    specversion: SPEC_VERSION,
    id: input.id ?? randomUUID(),
    source: input.source ?? DEFAULT_CLI_EVENT_SOURCE,
    type: input.type ?? DEFAULT_CLI_EVENT_TYPE,
  };
  if (input.subject !== undefined) event.subject = input.subject;
  event.time = new Date().toISOString();
  event.datacontenttype = datacontenttype;
  event.data = data;
  return parseEventJson(JSON.stringify(event)).json;
}

function checkAttributes(event: Record<string, unknown>): void {
  for (const name of Object.keys(event)) {
    if (!DATA_MEMBERS.has(name) && !ATTRIBUTE_NAME.test(name)) {
      throw new InvalidEventError(
        `attribute name ${quoteName(name)} is invalid: CloudEvents attribute names consist of lowercase letters a-z and digits 0-9`,
      );
    }
  }
  for (const name of REQUIRED_ATTRIBUTES) {
    // JSON format §2.2: a null attribute is the same as an absent one.
    const value = event[name];
    if (value === undefined || value === null)
      throw new InvalidEventError(`missing required attribute "${name}"`);
    if (typeof value !== 'string') {
      throw new InvalidEventError(`attribute "${name}" must be a string, not ${describeJsonType(value)}`);
    }
    if (value.length === 0) throw new InvalidEventError(`attribute "${name}" must not be empty`);
  }
  if (event.specversion !== SPEC_VERSION) {
    throw new InvalidEventError(
      `attribute "specversion" must be "${SPEC_VERSION}", not ${JSON.stringify(String(event.specversion).slice(0, 20))}`,
    );
  }
  for (const [name, value] of Object.entries(event)) {
    if (value === null || DATA_MEMBERS.has(name) || REQUIRED_ATTRIBUTES.some((r) => r === name)) continue;
    if (OPTIONAL_ATTRIBUTES.has(name)) {
      if (typeof value !== 'string') {
        throw new InvalidEventError(`attribute "${name}" must be a string, not ${describeJsonType(value)}`);
      }
      if (value.length === 0) throw new InvalidEventError(`attribute "${name}" must not be empty`);
      // The shape here; the library then checks the ranges (month, day of month, hour...).
      if (name === 'time' && !RFC3339_SHAPE.test(value)) {
        throw new InvalidEventError(`attribute "time" ${TIME_MESSAGE}`);
      }
      continue;
    }
    checkExtensionValue(name, value);
  }
  const base64 = event.data_base64;
  if (base64 !== undefined && base64 !== null) {
    if ('data' in event) {
      throw new InvalidEventError('event has both "data" and "data_base64": they are mutually exclusive');
    }
    if (typeof base64 !== 'string') {
      throw new InvalidEventError(`"data_base64" must be a string, not ${describeJsonType(base64)}`);
    }
    if (!BASE64.test(base64)) throw new InvalidEventError('"data_base64" is not valid base64 (RFC 4648)');
  }
}

// CloudEvents type system as mapped to JSON: Boolean, Integer, or a string for String, Binary, URI,
// URI-reference and Timestamp. Objects, arrays and fractions are not attribute values.
function checkExtensionValue(name: string, value: unknown): void {
  if (typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new InvalidEventError(
        `extension attribute ${quoteName(name)} must be an integer, not a fraction`,
      );
    }
    if (value < INT32_MIN || value > INT32_MAX) {
      throw new InvalidEventError(
        `extension attribute ${quoteName(name)} is outside the 32-bit integer range`,
      );
    }
    return;
  }
  throw new InvalidEventError(
    `extension attribute ${quoteName(name)} must be a string, boolean or integer, not ${describeJsonType(value)}`,
  );
}

function checkWithLibrary(event: Record<string, unknown>): void {
  // Null attributes are absent (JSON format §2.2); `data: null` is an explicit null payload and stays.
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(event)) {
    if (value !== null || name === 'data') attributes[name] = value;
  }
  try {
    new CloudEvent(attributes, true);
  } catch (error) {
    throw new InvalidEventError(describeLibraryError(error));
  }
}

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

function isSchemaError(value: unknown): value is SchemaError {
  return (
    isPlainObject(value) &&
    typeof value.instancePath === 'string' &&
    typeof value.keyword === 'string' &&
    isPlainObject(value.params)
  );
}

const TIME_MESSAGE = 'must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z';
const FORMAT_MESSAGES: Record<string, string> = {
  'date-time': TIME_MESSAGE,
  uri: 'must be an absolute URI',
  'uri-reference': 'must be a URI-reference (RFC 3986)',
};

function describeLibraryError(error: unknown): string {
  if (error instanceof ValidationError && Array.isArray(error.errors)) {
    const first: unknown = error.errors[0];
    if (isSchemaError(first)) {
      const name = first.instancePath.replace(/^\//, '');
      const format = first.params.format;
      if (first.keyword === 'format' && typeof format === 'string') {
        return `attribute "${name}" ${FORMAT_MESSAGES[format] ?? `must match the format ${format}`}`;
      }
      if (first.keyword === 'required' && typeof first.params.missingProperty === 'string') {
        return `missing required attribute "${first.params.missingProperty}"`;
      }
      return `attribute "${name}" ${first.message ?? `fails the schema rule ${first.keyword}`}`;
    }
  }
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  return `event is not a valid CloudEvent${message === '' ? '' : `: ${message}`}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function quoteName(name: string): string {
  const shown = name.length > MAX_NAME_IN_MESSAGE ? `${name.slice(0, MAX_NAME_IN_MESSAGE)}...` : name;
  return JSON.stringify(shown);
}

/**
 * The first member name that occurs twice in the top-level object of valid JSON text. JSON.parse
 * keeps the last silently; since the stored text is the text as received, a reader could pick
 * either, so events with duplicate attributes are refused.
 */
function firstDuplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (depth === 1) {
        let next = end + 1;
        while (next < text.length && /\s/.test(text[next] ?? '')) next++;
        if (text[next] === ':') {
          const name = JSON.parse(text.slice(i, end + 1)) as string;
          if (seen.has(name)) return name;
          seen.add(name);
        }
      }
      i = end;
    }
  }
  return undefined;
}
