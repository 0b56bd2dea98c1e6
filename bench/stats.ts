/** Latency samples and percentiles. */

/** A growable list of latencies in milliseconds. */
export class Samples {
  private data = new Float64Array(1 << 16);
  private size = 0;

  add(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  get count(): number {
    return this.size;
  }

  /** A copy of the samples. */
  values(): Float64Array {
    return this.data.slice(0, this.size);
  }

  addAll(values: Float64Array): void {
    for (const v of values) this.add(v);
  }

  clear(): void {
    this.size = 0;
  }

  summary(): LatencySummary {
    if (this.size === 0)
      return {
        count: 0,
        p50: Number.NaN,
        p90: Number.NaN,
        p99: Number.NaN,
        max: Number.NaN,
        mean: Number.NaN,
      };
    const sorted = this.data.slice(0, this.size).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: this.size,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      mean: sum / this.size,
    };
  }
}

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
