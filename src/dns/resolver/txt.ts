/**
 * The TXT attributes of the Flow Name Service (shared/product/fns-records.md):
 *
 *   _flow._tcp.F         TXT "tls"
 *   _queue._flow._tcp.F  TXT "broker-type=kafka" "queue=orders" ["queue-url=https://..."] ["tls"]
 *
 * One attribute per character-string, `key=value` or a bare flag (RFC 6763 §6.3-6.4), and also the
 * seed's form with several attributes in one string separated by spaces ("broker-type=kafka tls"):
 * each string is split on ASCII white space, which no attribute value here may contain (broker
 * types, queue names and URLs have none). Keys are case-insensitive; within one TXT record the
 * first occurrence of a key wins and a string starting with "=" is ignored (RFC 6763 §6.4);
 * unknown keys are ignored, so writers may add attributes. Several TXT records at one name are
 * merged, but may not give one key different values (the order of an RRset is not defined).
 */
import { FlowResolveError } from './errors.ts';

export type TxtValue = string | true;

export interface AgentTxt {
  readonly tls: boolean;
}

export interface BrokerTxt {
  /** `broker-type=`, lower case */
  readonly type: string;
  /** `queue=`, when given */
  readonly queue: string | undefined;
  /** `queue-url=`, when given (SQS) */
  readonly queueUrl: string | undefined;
  readonly tls: boolean;
}

const BROKER_TYPE = /^[a-z0-9][a-z0-9+.-]*$/;
// RFC 6763 §6.4: keys are printable US-ASCII (0x20-0x7E) other than "="; spaces split the seed form.
const KEY = /^[\x21-\x3c\x3e-\x7e]+$/;

const quote = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

/** The attributes of the TXT records at `at` (each record given as its strings). */
export function parseTxtAttributes(
  records: readonly (readonly string[])[],
  at: string,
): Map<string, TxtValue> {
  const merged = new Map<string, TxtValue>();
  for (const strings of records) {
    const own = new Map<string, TxtValue>();
    for (const s of strings) {
      for (const token of s.split(/[ \t\r\n]+/)) {
        if (token === '' || token.startsWith('=')) continue;
        const eq = token.indexOf('=');
        const key = (eq < 0 ? token : token.slice(0, eq)).toLowerCase();
        if (!KEY.test(key)) {
          throw new FlowResolveError(
            'bad-txt',
            at,
            `the TXT string ${quote(s)} at ${at} does not parse: the key ${quote(key)} is not printable ASCII`,
          );
        }
        if (!own.has(key)) own.set(key, eq < 0 ? true : token.slice(eq + 1));
      }
    }
    for (const [key, value] of own) {
      const earlier = merged.get(key);
      if (earlier !== undefined && earlier !== value) {
        throw new FlowResolveError(
          'bad-txt',
          at,
          `the TXT records at ${at} disagree on "${key}": ${show(key, earlier)} and ${show(key, value)}`,
        );
      }
      merged.set(key, value);
    }
  }
  return merged;
}

const show = (key: string, value: TxtValue): string => quote(value === true ? key : `${key}=${value}`);

/** A flag attribute: bare (`tls`) is true; `tls=true|yes|1` and `tls=false|no|0` are accepted too. */
function flag(attributes: ReadonlyMap<string, TxtValue>, key: string, at: string): boolean {
  const value = attributes.get(key);
  if (value === undefined) return false;
  if (value === true) return true;
  const v = value.toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  throw new FlowResolveError(
    'bad-txt',
    at,
    `the TXT string ${quote(`${key}=${value}`)} at ${at} does not parse: "${key}" is a flag, written bare`,
  );
}

function text(attributes: ReadonlyMap<string, TxtValue>, key: string, at: string): string | undefined {
  const value = attributes.get(key);
  if (value === undefined) return undefined;
  if (value === true || value === '') {
    throw new FlowResolveError(
      'bad-txt',
      at,
      `the TXT string ${quote(value === true ? key : `${key}=`)} at ${at} does not parse: "${key}" needs a value (${key}=<value>)`,
    );
  }
  return value;
}

/** The agent's TXT at `_flow._tcp.<flow or namespace>`: only `tls` means something. */
export function parseAgentTxt(records: readonly (readonly string[])[], at: string): AgentTxt {
  return { tls: flag(parseTxtAttributes(records, at), 'tls', at) };
}

/** The broker's TXT at `_queue._flow._tcp.<flow>`; `broker-type` is required. */
export function parseBrokerTxt(records: readonly (readonly string[])[], at: string): BrokerTxt {
  const attributes = parseTxtAttributes(records, at);
  const rawType = text(attributes, 'broker-type', at);
  if (rawType === undefined) {
    throw new FlowResolveError(
      'bad-txt',
      at,
      `the TXT record at ${at} has no "broker-type=<type>" (it has ${
        attributes.size === 0 ? 'no attribute' : [...attributes.keys()].map((k) => `"${k}"`).join(', ')
      })`,
    );
  }
  const type = rawType.toLowerCase();
  if (!BROKER_TYPE.test(type)) {
    throw new FlowResolveError(
      'bad-txt',
      at,
      `the TXT string ${quote(`broker-type=${rawType}`)} at ${at} does not parse: a broker type is letters, digits and "+.-"`,
    );
  }
  const queueUrl = text(attributes, 'queue-url', at);
  if (queueUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(queueUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new FlowResolveError(
        'bad-txt',
        at,
        `the TXT string ${quote(`queue-url=${queueUrl}`)} at ${at} does not parse: not an http(s) URL`,
      );
    }
  }
  return { type, queue: text(attributes, 'queue', at), queueUrl, tls: flag(attributes, 'tls', at) };
}
