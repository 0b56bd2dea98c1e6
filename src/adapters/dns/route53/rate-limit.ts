/**
 * Client-side pacing of Route 53 API calls: a token bucket (Route 53 allows five requests per
 * second per AWS account, all operations together) and full-jitter exponential backoff for retries
 * ("Exponential Backoff And Jitter", AWS Architecture Blog). Clock, sleep and randomness are
 * injectable so that tests run without waiting.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { invalidArgument } from '../../../core/errors.ts';

export interface Pacing {
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const realPacing: Pacing = {
  now: () => performance.now(),
  sleep: (ms) => delay(ms),
};

/**
 * A token bucket of `capacity` tokens refilled at `ratePerSecond`. `take()` reserves a token at
 * once, in call order, and resolves when the reservation falls due, so concurrent callers queue
 * fairly and the long-run rate never exceeds `ratePerSecond` (after an initial burst of `capacity`).
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly capacity: number;
  readonly #pacing: Pacing;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, capacity: number, pacing: Pacing = realPacing) {
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
      throw invalidArgument(`rate limit ${ratePerSecond} per second is not a positive number`);
    }
    if (!(Number.isFinite(capacity) && capacity >= 1)) {
      throw invalidArgument(`token bucket capacity ${capacity} is not a number of at least 1`);
    }
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.#pacing = pacing;
    this.#tokens = capacity;
    this.#updatedAt = pacing.now();
  }

  /** Tokens available now (negative while callers wait for reserved ones). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Waits until a token is available and takes it. Returns the milliseconds waited for it. */
  async take(): Promise<number> {
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return 0;
    const waitMs = (-this.#tokens / this.ratePerSecond) * 1000;
    await this.#pacing.sleep(waitMs);
    return waitMs;
  }

  #refill(): void {
    const now = this.#pacing.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed / 1000) * this.ratePerSecond);
  }
}

/**
 * Full-jitter backoff: a delay drawn uniformly from [0, min(maxDelayMs, baseDelayMs * 2^retry)),
 * where `retry` is 0 before the first retry. `random` returns a number in [0, 1).
 */
export function fullJitterDelay(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}
