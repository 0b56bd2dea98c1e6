/**
 * The order in which a client tries the targets of an SRV RRset (RFC 2782, "Usage rules"):
 *
 * - lowest priority first; targets of a lower priority are all tried before any of a higher one;
 * - within a priority, a weighted random order: with the unordered records arranged weight-0
 *   first, pick a number uniformly in [0, sum of weights], take the first record whose running
 *   sum of weights is at least that number, remove it, and repeat;
 * - a single record whose target is "." means the service is decidedly not available at that
 *   name; "." targets among others are skipped.
 *
 * The random source is injected (a function returning [0, 1), like Math.random) so tests can
 * fix the draw.
 */
import type { SrvData } from '../wire/rdata/srv.ts';
import { canonicalQueryName } from './name.ts';

export interface SrvCandidate {
  /** the SRV target, canonical (lower case, no trailing dot) */
  readonly host: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export type RandomSource = () => number;

type SrvFields = Pick<SrvData, 'priority' | 'weight' | 'port' | 'target'>;

/** True for the RRset RFC 2782 reserves for "service not available": one record, target ".". */
export function isServiceUnavailable(records: readonly SrvFields[]): boolean {
  return records.length === 1 && isRoot(records[0]?.target ?? '');
}

const isRoot = (target: string): boolean => target === '' || target === '.';

/** The records in the order a client tries them; "." targets are left out. */
export function orderSrv(records: readonly SrvFields[], random: RandomSource = Math.random): SrvCandidate[] {
  const byPriority = new Map<number, SrvCandidate[]>();
  for (const r of records) {
    if (isRoot(r.target)) continue;
    const candidate: SrvCandidate = {
      host: canonicalQueryName(r.target),
      port: r.port,
      priority: r.priority,
      weight: r.weight,
    };
    const group = byPriority.get(r.priority);
    if (group) group.push(candidate);
    else byPriority.set(r.priority, [candidate]);
  }
  const ordered: SrvCandidate[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority) ?? [];
    // Weight-0 records at the beginning (RFC 2782: "any order, except..."). The rest in a fixed
    // order (weight, then target and port), not the order received: servers rotate RRsets, and the
    // same draw must pick the same record whatever order the answer came in.
    const remaining = [...group].sort(
      (a, b) => a.weight - b.weight || a.host.localeCompare(b.host) || a.port - b.port,
    );
    while (remaining.length > 0) {
      let sum = 0;
      for (const c of remaining) sum += c.weight;
      const draw = Math.min(sum, Math.floor(clampUnit(random()) * (sum + 1)));
      let running = 0;
      let index = remaining.length - 1;
      for (let i = 0; i < remaining.length; i++) {
        running += (remaining[i] as SrvCandidate).weight;
        if (running >= draw) {
          index = i;
          break;
        }
      }
      ordered.push(...remaining.splice(index, 1));
    }
  }
  return ordered;
}

function clampUnit(x: number): number {
  if (!(x >= 0)) return 0;
  return x >= 1 ? 1 - Number.EPSILON : x;
}
