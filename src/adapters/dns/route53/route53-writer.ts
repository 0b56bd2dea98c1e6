/**
 * The Flow Name Service writer for Amazon Route 53 (NameServiceWriter over the Route 53 API).
 *
 * Each operation is ONE ChangeResourceRecordSets batch, which Route 53 applies all or nothing:
 * - registerFlow: CREATE of every record set of the flow. Route 53 rejects the whole batch when any
 *   of them exists, so a flow another agent (or an earlier registration) holds is never
 *   overwritten: that rejection is EsonError 'exists'.
 * - updateFlow / registerNamespace: UPSERT of every record set, plus DELETE of a set the layout
 *   may hold but this registration does not (the TXT "tls" of an agent that no longer offers TLS).
 * - unregisterFlow / unregisterNamespace: DELETE of exactly the record sets the registration
 *   writes. A DELETE must match name, type, TTL and values; when it does not (records absent, a TTL
 *   that changed), the sets are read with ListResourceRecordSets and those whose values are this
 *   registration's are deleted; none left is not an error; a set holding other values (another
 *   agent's) is refused with 'forbidden' and nothing is deleted.
 *
 * Every API call waits for a token of a client-side token bucket (default 5 per second: Route 53's
 * per-account limit) and is retried with full-jitter exponential backoff on throttling,
 * PriorRequestNotComplete, 5xx and network errors; after `maxRetries` retries it fails with
 * 'unavailable'. The SDK's own retries are turned off on clients this writer makes.
 */
import type {
  Change,
  ChangeInfo,
  ListResourceRecordSetsCommandInput,
  ResourceRecordSet,
  Route53ClientConfig,
  RRType,
} from '@aws-sdk/client-route-53';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { ErrorKind } from '../../../core/errors.ts';
import { EsonError, invalidArgument, isEsonError } from '../../../core/errors.ts';
import { flowRecords, namespaceRecords } from '../../../core/fns-records.ts';
import type { Logger } from '../../../log/logger.ts';
import type {
  FlowRegistration,
  NameServiceWriter,
  NamespaceRegistration,
} from '../../../ports/name-service.ts';
import type { Route53RecordSet } from './record-sets.ts';
import { absoluteName, normalizeName, sameRecordSet, setKey, toResourceRecordSets } from './record-sets.ts';
import type { Pacing } from './rate-limit.ts';
import { TokenBucket, fullJitterDelay, realPacing } from './rate-limit.ts';
import {
  classifyRoute53Error,
  errorCode,
  errorMessage,
  isAlreadyExists,
  isDeleteMismatch,
} from './route53-errors.ts';

/** Route 53's documented limit: five API requests per second per AWS account. */
export const ROUTE53_REQUESTS_PER_SECOND = 5;
export const DEFAULT_MAX_RETRIES = 6;
export const DEFAULT_BASE_DELAY_MS = 200;
export const DEFAULT_MAX_DELAY_MS = 10_000;
export const DEFAULT_INSYNC_TIMEOUT_MS = 180_000;
export const DEFAULT_INSYNC_POLL_MS = 2_000;
/** Record sets per ListResourceRecordSets page when the writer reads a name's sets. */
const LIST_PAGE_SIZE = 20;
/** Route 53 is a global service whose API lives in us-east-1. */
export const DEFAULT_REGION = 'us-east-1';

/** How to make a client when none is given. Without credentials, the SDK's default chain is used. */
export interface Route53ClientSettings {
  readonly region?: string;
  /** e.g. a moto or LocalStack endpoint; Route 53's own otherwise. */
  readonly endpoint?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface Route53WriterOptions {
  /** `Z123...` or `/hostedzone/Z123...`: the zone that holds the flows' names. */
  readonly hostedZoneId: string;
  /**
   * A client to use (this writer retries; give it `maxAttempts: 1` or the SDK retries too; it is
   * not destroyed by close()), or settings for a client the writer makes and destroys.
   */
  readonly client?: Route53Client | Route53ClientSettings;
  /** Requests per second, all operations together. Default 5. */
  readonly rateLimitPerSecond?: number;
  /** Requests that may go at once before the rate applies. Default: the rate, at least 1. */
  readonly burst?: number;
  /** Retries of one call after its first attempt. Default 6. */
  readonly maxRetries?: number;
  /** Backoff ceiling before the first retry, doubling each retry. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Wait until a change is INSYNC (propagated to every Route 53 server). Default false. */
  readonly waitForInsync?: boolean;
  /** Default 180 s; past it the call fails 'unavailable' (the change itself was accepted). */
  readonly insyncTimeoutMs?: number;
  /** GetChange polling interval. Default 2 s. */
  readonly insyncPollMs?: number;
  /** Milliseconds, monotonic (tests inject a fake clock). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the backoff jitter. */
  readonly random?: () => number;
  readonly log?: Logger;
}

/** What one logical call went through: whether a failed attempt may have been applied anyway. */
interface CallState {
  ambiguous: boolean;
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw invalidArgument(`${what} ${value} is not a non-negative integer`);
  return value;
}

function positive(value: number, what: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw invalidArgument(`${what} ${value} is not a positive number`);
  return value;
}

/** Route 53 takes a change batch comment of at most 256 characters. */
function comment(text: string): string {
  return text.length <= 256 ? text : `${text.slice(0, 253)}...`;
}

export class Route53Writer implements NameServiceWriter {
  readonly hostedZoneId: string;
  readonly #client: Route53Client;
  readonly #ownsClient: boolean;
  readonly #bucket: TokenBucket;
  readonly #pacing: Pacing;
  readonly #random: () => number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #waitForInsync: boolean;
  readonly #insyncTimeoutMs: number;
  readonly #insyncPollMs: number;
  readonly #log: Logger | undefined;
  #closed = false;

  constructor(options: Route53WriterOptions) {
    const zone = typeof options.hostedZoneId === 'string' ? options.hostedZoneId.trim() : '';
    if (!/^(\/hostedzone\/)?[A-Za-z0-9]+$/.test(zone)) {
      throw invalidArgument(
        `hosted zone id ${JSON.stringify(options.hostedZoneId)} is not a Route 53 hosted zone id`,
      );
    }
    this.hostedZoneId = zone.replace(/^\/hostedzone\//, '');
    if (options.client instanceof Route53Client) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      const settings = options.client ?? {};
      const config: Route53ClientConfig = {
        region: settings.region ?? DEFAULT_REGION,
        // This writer retries with its own backoff and rate limit.
        maxAttempts: 1,
      };
      if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
      if (settings.credentials !== undefined) config.credentials = { ...settings.credentials };
      this.#client = new Route53Client(config);
      this.#ownsClient = true;
    }
    this.#pacing = {
      now: options.now ?? realPacing.now,
      sleep: options.sleep ?? realPacing.sleep,
    };
    const rate = positive(options.rateLimitPerSecond ?? ROUTE53_REQUESTS_PER_SECOND, 'rateLimitPerSecond');
    const burst = positive(options.burst ?? Math.max(1, Math.floor(rate)), 'burst');
    this.#bucket = new TokenBucket(rate, Math.max(1, burst), this.#pacing);
    this.#random = options.random ?? Math.random;
    this.#maxRetries = nonNegativeInteger(options.maxRetries ?? DEFAULT_MAX_RETRIES, 'maxRetries');
    this.#baseDelayMs = positive(options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, 'baseDelayMs');
    this.#maxDelayMs = positive(options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, 'maxDelayMs');
    this.#waitForInsync = options.waitForInsync ?? false;
    this.#insyncTimeoutMs = positive(options.insyncTimeoutMs ?? DEFAULT_INSYNC_TIMEOUT_MS, 'insyncTimeoutMs');
    this.#insyncPollMs = positive(options.insyncPollMs ?? DEFAULT_INSYNC_POLL_MS, 'insyncPollMs');
    this.#log = options.log;
  }

  /** The client this writer sends through (tests read the zone with it). */
  get client(): Route53Client {
    return this.#client;
  }

  async registerFlow(registration: FlowRegistration): Promise<void> {
    const what = `flow ${registration.flow}`;
    const sets = toResourceRecordSets(flowRecords(registration));
    const state: CallState = { ambiguous: false };
    try {
      await this.#change(
        'registerFlow',
        sets.map((set) => ({ Action: 'CREATE', ResourceRecordSet: set })),
        `eson registerFlow ${registration.flow}`,
        state,
      );
    } catch (error) {
      if (isAlreadyExists(error)) {
        // A lost reply to an attempt that went through makes its retry find our own records.
        if (state.ambiguous) {
          let ours: boolean;
          try {
            ours = await this.#holdsExactly(sets);
          } catch (readError) {
            throw this.#toEsonError(readError, 'registerFlow', what);
          }
          if (ours) return;
        }
        throw new EsonError(
          'exists',
          `${what} is already registered in Route 53 hosted zone ${this.hostedZoneId} (${errorMessage(error)}); nothing was changed`,
          { cause: error, context: { flow: registration.flow, hostedZoneId: this.hostedZoneId } },
        );
      }
      throw this.#toEsonError(error, 'registerFlow', what);
    }
  }

  async updateFlow(registration: FlowRegistration): Promise<void> {
    const sets = toResourceRecordSets(flowRecords(registration));
    const possible = toResourceRecordSets(flowRecords(withTls(registration)));
    await this.#replace('updateFlow', `flow ${registration.flow}`, sets, possible);
  }

  async unregisterFlow(registration: FlowRegistration): Promise<void> {
    const sets = toResourceRecordSets(flowRecords(registration));
    await this.#remove('unregisterFlow', `flow ${registration.flow}`, sets);
  }

  async registerNamespace(registration: NamespaceRegistration): Promise<void> {
    const sets = toResourceRecordSets(namespaceRecords(registration));
    const possible = toResourceRecordSets(
      namespaceRecords({ ...registration, agent: { ...registration.agent, tls: true } }),
    );
    await this.#replace('registerNamespace', `namespace ${registration.namespace}`, sets, possible);
  }

  async unregisterNamespace(registration: NamespaceRegistration): Promise<void> {
    const sets = toResourceRecordSets(namespaceRecords(registration));
    await this.#remove('unregisterNamespace', `namespace ${registration.namespace}`, sets);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#ownsClient) this.#client.destroy();
    }
    return Promise.resolve();
  }

  /** UPSERT `sets`, and DELETE what the zone holds of `possible` that `sets` no longer has. */
  async #replace(
    operation: string,
    what: string,
    sets: Route53RecordSet[],
    possible: Route53RecordSet[],
  ): Promise<void> {
    try {
      const wanted = new Set(sets.map(setKey));
      const dropped = possible.filter((set) => !wanted.has(setKey(set)));
      const changes: Change[] = sets.map((set) => ({ Action: 'UPSERT', ResourceRecordSet: set }));
      if (dropped.length > 0) {
        const held = await this.#readSets(dropped.map((s) => s.Name));
        const droppedKeys = new Set(dropped.map(setKey));
        for (const set of held) {
          if (droppedKeys.has(setKey(set))) changes.push({ Action: 'DELETE', ResourceRecordSet: set });
        }
      }
      await this.#change(operation, changes, `eson ${operation} ${what}`, { ambiguous: false });
    } catch (error) {
      if (isDeleteMismatch(error)) throw this.#changedMeanwhile(error, what);
      throw this.#toEsonError(error, operation, what);
    }
  }

  /** DELETE exactly `sets`, reading the zone first when an exact DELETE does not match it. */
  async #remove(operation: string, what: string, sets: Route53RecordSet[]): Promise<void> {
    try {
      try {
        await this.#change(
          operation,
          sets.map((set) => ({ Action: 'DELETE', ResourceRecordSet: set })),
          `eson ${operation} ${what}`,
          { ambiguous: false },
        );
        return;
      } catch (error) {
        if (!isDeleteMismatch(error)) throw error;
      }
      // Some sets are absent (an earlier unregister, a lost reply) or hold another TTL or values.
      const held = new Map((await this.#readSets(sets.map((s) => s.Name))).map((set) => [setKey(set), set]));
      const deletions: ResourceRecordSet[] = [];
      for (const set of sets) {
        const current = held.get(setKey(set));
        if (!current) continue;
        if (!sameRecordSet(current, set)) {
          throw new EsonError(
            'forbidden',
            `${what}: the ${current.Type} records of ${normalizeName(current.Name ?? '')} in Route 53 hosted zone ` +
              `${this.hostedZoneId} are not the ones this registration wrote (${describeValues(current)}); nothing was removed`,
            { context: { hostedZoneId: this.hostedZoneId } },
          );
        }
        deletions.push(current);
      }
      if (deletions.length === 0) return;
      await this.#change(
        operation,
        deletions.map((set) => ({ Action: 'DELETE', ResourceRecordSet: set })),
        `eson ${operation} ${what}`,
        { ambiguous: false },
      );
    } catch (error) {
      if (isDeleteMismatch(error)) throw this.#changedMeanwhile(error, what);
      throw this.#toEsonError(error, operation, what);
    }
  }

  /** True when the zone holds every one of `sets` with exactly these values and TTLs. */
  async #holdsExactly(sets: Route53RecordSet[]): Promise<boolean> {
    const held = new Map((await this.#readSets(sets.map((s) => s.Name))).map((set) => [setKey(set), set]));
    return sets.every((set) => {
      const current = held.get(setKey(set));
      return current !== undefined && sameRecordSet(current, set, { compareTtl: true });
    });
  }

  /**
   * Every record set at these names. Each name is listed from its first set on, page by page while
   * the next set is still at that name (Route 53 lists a name's sets together, sorted by type).
   */
  async #readSets(names: readonly string[]): Promise<ResourceRecordSet[]> {
    const result: ResourceRecordSet[] = [];
    const distinct = [...new Set(names.map((n) => absoluteName(n).toLowerCase()))];
    for (const name of distinct) {
      const wanted = normalizeName(name);
      let startName = name;
      let startType: RRType | undefined;
      for (;;) {
        const input: ListResourceRecordSetsCommandInput = {
          HostedZoneId: this.hostedZoneId,
          StartRecordName: startName,
          MaxItems: LIST_PAGE_SIZE,
        };
        if (startType !== undefined) input.StartRecordType = startType;
        const page = await this.#call(
          'ListResourceRecordSets',
          () => this.#client.send(new ListResourceRecordSetsCommand(input)),
          { ambiguous: false },
        );
        let passed = false;
        for (const set of page.ResourceRecordSets ?? []) {
          if (normalizeName(set.Name ?? '') === wanted) result.push(set);
          else passed = true;
        }
        const next = page.NextRecordName;
        if (passed || !page.IsTruncated || next === undefined || normalizeName(next) !== wanted) break;
        startName = next;
        startType = page.NextRecordType;
      }
    }
    return result;
  }

  /** One change batch, then (optionally) the wait until it is INSYNC. */
  async #change(operation: string, changes: Change[], note: string, state: CallState): Promise<void> {
    if (changes.length === 0) return;
    const output = await this.#call(
      'ChangeResourceRecordSets',
      () =>
        this.#client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: this.hostedZoneId,
            ChangeBatch: { Comment: comment(note), Changes: changes },
          }),
        ),
      state,
    );
    this.#log?.debug(
      { operation, hostedZoneId: this.hostedZoneId, changes: changes.length, change: output.ChangeInfo?.Id },
      'route 53 change accepted',
    );
    if (this.#waitForInsync) await this.#awaitInsync(output.ChangeInfo);
  }

  async #awaitInsync(info: ChangeInfo | undefined): Promise<void> {
    if (!info?.Id || info.Status === 'INSYNC') return;
    const id = info.Id;
    const deadline = this.#pacing.now() + this.#insyncTimeoutMs;
    for (;;) {
      const left = deadline - this.#pacing.now();
      if (left <= 0) {
        throw new EsonError(
          'unavailable',
          `Route 53 change ${id} was accepted but is not INSYNC after ${this.#insyncTimeoutMs} ms`,
          { context: { hostedZoneId: this.hostedZoneId, change: id } },
        );
      }
      await this.#pacing.sleep(Math.min(this.#insyncPollMs, left));
      const output = await this.#call(
        'GetChange',
        () => this.#client.send(new GetChangeCommand({ Id: id })),
        {
          ambiguous: false,
        },
      );
      if (output.ChangeInfo?.Status === 'INSYNC') return;
    }
  }

  /**
   * One API call under the rate limit, retried on throttling, PriorRequestNotComplete, 5xx and
   * network errors. Other errors are thrown as they are; retries running out is 'unavailable'.
   */
  async #call<T>(apiName: string, send: () => Promise<T>, state: CallState): Promise<T> {
    if (this.#closed) throw new EsonError('unavailable', 'the Route 53 writer is closed');
    for (let attempt = 0; ; attempt += 1) {
      await this.#bucket.take();
      try {
        return await send();
      } catch (error) {
        const failure = classifyRoute53Error(error);
        if (!failure.retriable) throw error;
        if (failure.ambiguous) state.ambiguous = true;
        if (attempt >= this.#maxRetries) {
          throw new EsonError(
            'unavailable',
            `Route 53 ${apiName} on hosted zone ${this.hostedZoneId} failed ${attempt + 1} times, last with ` +
              `${failure.code}: ${failure.message}`,
            {
              cause: error,
              context: { hostedZoneId: this.hostedZoneId, attempts: attempt + 1, code: failure.code },
            },
          );
        }
        const backoff = fullJitterDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        this.#log?.warn(
          {
            api: apiName,
            hostedZoneId: this.hostedZoneId,
            code: failure.code,
            attempt: attempt + 1,
            backoffMs: backoff,
          },
          'route 53 call failed; retrying',
        );
        await this.#pacing.sleep(backoff);
      }
    }
  }

  /** A DELETE built from what was just read no longer matched: someone changed the records. */
  #changedMeanwhile(error: unknown, what: string): EsonError {
    return new EsonError(
      'unavailable',
      `${what}: its records in Route 53 hosted zone ${this.hostedZoneId} changed while this change was made ` +
        `(${errorMessage(error)}); nothing was changed, try again`,
      { cause: error, context: { hostedZoneId: this.hostedZoneId } },
    );
  }

  #toEsonError(error: unknown, operation: string, what: string): unknown {
    if (isEsonError(error)) return error;
    const failure = classifyRoute53Error(error);
    const kind: ErrorKind | undefined = failure.retriable ? 'unavailable' : failure.kind;
    if (kind === undefined) return error;
    const zone = this.hostedZoneId;
    const code = errorCode(error);
    let message: string;
    switch (kind) {
      case 'not-found':
        message =
          code === 'NoSuchHostedZone'
            ? `Route 53 hosted zone ${zone} does not exist (${operation} ${what}: ${failure.message})`
            : `${operation} ${what}: Route 53 ${code}: ${failure.message}`;
        break;
      case 'forbidden':
        message = `${operation} ${what}: Route 53 refused access to hosted zone ${zone} (${code}: ${failure.message})`;
        break;
      case 'invalid-argument':
        message = `${operation} ${what}: Route 53 rejected the change to hosted zone ${zone} (${code}: ${failure.message})`;
        break;
      case 'exists':
      case 'invalid-name':
      case 'rejected':
      case 'unavailable':
        message = `${operation} ${what}: Route 53 ${code} on hosted zone ${zone}: ${failure.message}`;
        break;
    }
    return new EsonError(kind, message, { cause: error, context: { hostedZoneId: zone, code } });
  }
}

function withTls(registration: FlowRegistration): FlowRegistration {
  return {
    ...registration,
    agent: { ...registration.agent, tls: true },
    broker: { ...registration.broker, tls: true },
  };
}

function describeValues(set: ResourceRecordSet): string {
  return (set.ResourceRecords ?? []).map((r) => r.Value ?? '').join(', ');
}

/** The record sets a registration writes, in Route 53's terms (for tests and tools). */
export function flowRecordSets(registration: FlowRegistration): Route53RecordSet[] {
  return toResourceRecordSets(flowRecords(registration));
}

export function namespaceRecordSets(registration: NamespaceRegistration): Route53RecordSet[] {
  return toResourceRecordSets(namespaceRecords(registration));
}
