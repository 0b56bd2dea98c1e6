/**
 * Flow Name Service benchmark: `npm run bench:fns`. Against a BIND9 `named` on 127.0.0.1
 * (test/support/bind9.ts) holding one flow registered with Rfc2136Writer (TTL 3600), plus A and
 * AAAA records of its agent host written with nsupdate:
 *
 * 1. Uncached flow resolution: FlowResolver.resolveFlow over a DnsResolver without cache, so each
 *    resolution sends PTR, SRV, TXT, queue SRV, queue TXT, A and AAAA to BIND. Latency of each
 *    resolution (p50/p99/mean). Beside it, the same seven queries one after another through
 *    DnsResolver (what dig does), and `dig` itself.
 *
 *    How dig is measured: dig's own "Query time" is printed in whole milliseconds (0 msec on
 *    loopback; its +yaml timestamps are milliseconds too), so it cannot time one query here.
 *    Instead dig runs in batch mode (`dig -f <file>`, the 7 queries per set, `+norec +noall
 *    +answer`, output to /dev/null) twice per round: once with 1 query set and once with N sets.
 *    (wall(N) - wall(1)) / (N - 1) is dig's time per query set with its process start-up and
 *    teardown cancelled out, i.e. 7 sequential UDP exchanges plus dig's parsing and printing.
 *    Rounds give a spread; the comparison uses the median round. Also reported, for scale: the
 *    wall time of one `dig -f` process per query set (start-up included).
 *
 *    Target: ESON's mean uncached resolution within 1.2x of dig's time per query set.
 *
 * 2. Cached flow resolution: the same FlowResolver over a DnsResolver with its cache warm (every
 *    answer has a TTL of an hour, so nothing expires during the run); each call timed with
 *    process.hrtime.bigint. Target: p99 < 50 µs.
 *
 * 3. Registration throughput: distinct flows registered with Rfc2136Writer.registerFlow (one TSIG-
 *    signed RFC 2136 UPDATE with prerequisites each), one at a time and with several in flight.
 *
 * Settings (environment): BENCH_FNS_UNCACHED (2000 resolutions), BENCH_FNS_CACHED (200000),
 * BENCH_FNS_DIG_SETS (400 query sets per dig batch), BENCH_FNS_DIG_ROUNDS (7),
 * BENCH_FNS_REGISTER_SECONDS (3 per mode), BENCH_FNS_CONCURRENCY (16). Results: a table on stdout
 * and bench/results/fns.json. The whole run takes well under two minutes.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rfc2136Writer } from '../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { FlowResolver } from '../src/dns/resolver/flow-resolver.ts';
import { DnsResolver } from '../src/dns/resolver/stub-resolver.ts';
import { RRType } from '../src/dns/wire/constants.ts';
import type { FlowRegistration } from '../src/ports/name-service.ts';
import { startBind9 } from '../test/support/bind9.ts';
import type { Bind9Server } from '../test/support/bind9.ts';
import { nsupdate } from '../test/integration/dns/helpers.ts';
import type { LatencySummary } from './stats.ts';
import { Samples } from './stats.ts';
import { envNumber } from './env.ts';

const SETTINGS = {
  uncached: Math.round(envNumber('BENCH_FNS_UNCACHED', 2000)),
  cached: Math.round(envNumber('BENCH_FNS_CACHED', 200_000)),
  digSets: Math.max(2, Math.round(envNumber('BENCH_FNS_DIG_SETS', 400))),
  digRounds: Math.round(envNumber('BENCH_FNS_DIG_ROUNDS', 7)),
  registerSeconds: envNumber('BENCH_FNS_REGISTER_SECONDS', 3),
  concurrency: Math.round(envNumber('BENCH_FNS_CONCURRENCY', 16)),
};

const FLOW = 'orders.flows.orange.test';
const AGENT = 'agent.orange.test';
const TTL = 3600;
const started = performance.now();

function log(message: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

/** The seven queries of a full resolution, in the order dig sends them. */
const QUERY_SET: readonly (readonly [string, number, string])[] = [
  [FLOW, RRType.PTR, 'PTR'],
  [`_flow._tcp.${FLOW}`, RRType.SRV, 'SRV'],
  [`_flow._tcp.${FLOW}`, RRType.TXT, 'TXT'],
  [AGENT, RRType.A, 'A'],
  [AGENT, RRType.AAAA, 'AAAA'],
  [`_queue._flow._tcp.${FLOW}`, RRType.SRV, 'SRV'],
  [`_queue._flow._tcp.${FLOW}`, RRType.TXT, 'TXT'],
];

function registrationOf(flow: string): FlowRegistration {
  return {
    flow,
    agent: { host: AGENT, port: 61000, tls: true },
    broker: { type: 'kafka', host: 'kafka.orange.test', port: 9092, queue: flow, tls: false },
    ttl: TTL,
  };
}

const elapsedMs = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

// ---------------------------------------------------------------------------------------------
// dig

/** Wall time of one `dig -f <file>` process, ms. */
function digBatch(bind: Bind9Server, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(
      'dig',
      [
        `@${bind.host}`,
        '-p',
        String(bind.port),
        '+norec',
        '+noall',
        '+answer',
        '+time=2',
        '+tries=1',
        '-f',
        file,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(elapsedMs(t)) : reject(new Error(`dig exited ${code}: ${stderr}`)),
    );
  });
}

interface DigResult {
  /** per query set, ms, one per round */
  readonly perSetRounds: number[];
  readonly perSetMedian: number;
  /** one dig process per query set, start-up included */
  readonly processPerSet: LatencySummary;
}

async function measureDig(bind: Bind9Server, dir: string): Promise<DigResult> {
  const oneSet = QUERY_SET.map(([name, , type]) => `${name} ${type}`).join('\n') + '\n';
  const single = path.join(dir, 'set-1.txt');
  const many = path.join(dir, `set-${SETTINGS.digSets}.txt`);
  await writeFile(single, oneSet);
  await writeFile(many, oneSet.repeat(SETTINGS.digSets));
  await digBatch(bind, many); // warm-up: page cache, BIND
  const perSetRounds: number[] = [];
  const processes = new Samples();
  for (let round = 0; round < SETTINGS.digRounds; round++) {
    const t1 = await digBatch(bind, single);
    const tN = await digBatch(bind, many);
    processes.add(t1);
    perSetRounds.push((tN - t1) / (SETTINGS.digSets - 1));
  }
  for (let i = 0; i < 30; i++) processes.add(await digBatch(bind, single));
  const sorted = [...perSetRounds].sort((a, b) => a - b);
  return {
    perSetRounds,
    perSetMedian: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    processPerSet: processes.summary(),
  };
}

// ---------------------------------------------------------------------------------------------
// ESON

async function measureUncached(
  bind: Bind9Server,
): Promise<{ flow: LatencySummary; sequential: LatencySummary }> {
  const dns = new DnsResolver({ nameservers: [bind], cache: false, timeoutMs: 2000, retries: 2 });
  const flows = new FlowResolver({ resolver: dns });
  for (let i = 0; i < 200; i++) await flows.resolveFlow(FLOW);
  const flow = new Samples();
  const sequential = new Samples();
  // Interleaved, so that both see the same machine state.
  for (let i = 0; i < SETTINGS.uncached; i++) {
    let t = process.hrtime.bigint();
    await flows.resolveFlow(FLOW);
    flow.add(elapsedMs(t));
    t = process.hrtime.bigint();
    for (const [name, type] of QUERY_SET) await dns.query(name, type);
    sequential.add(elapsedMs(t));
  }
  return { flow: flow.summary(), sequential: sequential.summary() };
}

async function measureCached(bind: Bind9Server): Promise<LatencySummary> {
  const dns = new DnsResolver({ nameservers: [bind], timeoutMs: 2000, retries: 2 });
  const flows = new FlowResolver({ resolver: dns });
  const first = await flows.resolveFlow(FLOW);
  if (first.ttl < 600)
    throw new Error(`the flow's answers expire in ${first.ttl} s: too soon for the cached run`);
  for (let i = 0; i < 20_000; i++) await flows.resolveFlow(FLOW);
  const samples = new Samples();
  for (let i = 0; i < SETTINGS.cached; i++) {
    const t = process.hrtime.bigint();
    const r = await flows.resolveFlow(FLOW);
    samples.add(elapsedMs(t));
    if (r.agent.port !== 61000) throw new Error('wrong answer from the cache');
  }
  return samples.summary();
}

interface RegistrationResult {
  readonly concurrency: number;
  readonly flows: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latency: LatencySummary;
}

async function measureRegistration(
  bind: Bind9Server,
  concurrency: number,
  prefix: string,
): Promise<RegistrationResult> {
  const writer = new Rfc2136Writer({
    server: { host: bind.host, port: bind.port },
    zone: bind.zone,
    key: bind.writerKey,
    timeoutMs: 5000,
    retries: 2,
  });
  const latency = new Samples();
  let next = 0;
  const deadline = performance.now() + SETTINGS.registerSeconds * 1000;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const flow = `${prefix}${next++}.reg.orange.test`;
      const t = process.hrtime.bigint();
      await writer.registerFlow(registrationOf(flow));
      latency.add(elapsedMs(t));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await writer.close();
  return {
    concurrency,
    flows: latency.count,
    seconds,
    perSecond: latency.count / seconds,
    latency: latency.summary(),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  readonly metric: string;
  readonly eson: number;
  readonly dig: number | null;
  readonly unit: string;
  readonly ratio: number | null;
  readonly target: string;
  readonly pass: boolean | null;
}

function printTable(rows: readonly Row[]): void {
  const fmt = (v: number | null, unit: string): string => {
    if (v === null || Number.isNaN(v)) return '-';
    if (unit === 'µs') return v.toFixed(1);
    if (unit === 'ms') return v.toFixed(3);
    return v.toFixed(0);
  };
  const lines = rows.map((r) => [
    r.metric,
    Number.isNaN(r.eson) ? '-' : `${fmt(r.eson, r.unit)} ${r.unit}`,
    r.dig === null ? '-' : `${fmt(r.dig, r.unit)} ${r.unit}`,
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target || '-',
    r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['metric', 'ESON', 'dig', 'ESON/dig', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const l of lines) process.stdout.write(`${row(l)}\n`);
}

async function main(): Promise<void> {
  log(`settings: ${JSON.stringify(SETTINGS)}`);
  const bind = await startBind9();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-bench-fns-'));
  try {
    log(`${bind.version} on ${bind.host}:${bind.port}`);
    await nsupdate(bind, bind.writerKey, bind.zone, [
      `update add ${AGENT}. ${TTL} A 127.0.0.1`,
      `update add ${AGENT}. ${TTL} AAAA ::1`,
    ]);
    const setup = new Rfc2136Writer({
      server: { host: bind.host, port: bind.port },
      zone: bind.zone,
      key: bind.writerKey,
      timeoutMs: 2000,
      retries: 1,
    });
    await setup.registerFlow(registrationOf(FLOW));
    await setup.close();

    log(`uncached: ${SETTINGS.uncached} resolutions, and as many sequential query sets`);
    const uncached = await measureUncached(bind);
    log(`dig: ${SETTINGS.digRounds} rounds of 1 and ${SETTINGS.digSets} query sets`);
    const dig = await measureDig(bind, dir);
    log(`cached: ${SETTINGS.cached} resolutions`);
    const cached = await measureCached(bind);
    log(
      `registration: ${SETTINGS.registerSeconds} s one at a time, ${SETTINGS.registerSeconds} s with ${SETTINGS.concurrency} in flight`,
    );
    const serial = await measureRegistration(bind, 1, 's');
    const parallel = await measureRegistration(bind, SETTINGS.concurrency, 'p');

    // Spot check: a registered flow resolves.
    const check = await new FlowResolver({ resolver: new DnsResolver({ nameservers: [bind] }) }).resolveFlow(
      'p0.reg.orange.test',
    );
    if (check.kind !== 'flow') throw new Error('a registered flow did not resolve');

    const ratio = (a: number, b: number) => a / b;
    const rows: Row[] = [
      {
        metric: 'uncached flow resolution, mean (ESON: FlowResolver; dig: 7 queries, per set)',
        eson: uncached.flow.mean,
        dig: dig.perSetMedian,
        unit: 'ms',
        ratio: ratio(uncached.flow.mean, dig.perSetMedian),
        target: '<= 1.2x',
        pass: uncached.flow.mean <= 1.2 * dig.perSetMedian,
      },
      {
        metric: 'uncached flow resolution, p50',
        eson: uncached.flow.p50,
        dig: null,
        unit: 'ms',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'uncached flow resolution, p99',
        eson: uncached.flow.p99,
        dig: null,
        unit: 'ms',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'uncached, the 7 queries one after another, mean',
        eson: uncached.sequential.mean,
        dig: dig.perSetMedian,
        unit: 'ms',
        ratio: ratio(uncached.sequential.mean, dig.perSetMedian),
        target: '',
        pass: null,
      },
      {
        metric: 'uncached, the 7 queries one after another, p50',
        eson: uncached.sequential.p50,
        dig: null,
        unit: 'ms',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'uncached, the 7 queries one after another, p99',
        eson: uncached.sequential.p99,
        dig: null,
        unit: 'ms',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'one dig process per query set (start-up included), p50',
        eson: Number.NaN,
        dig: dig.processPerSet.p50,
        unit: 'ms',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'cached flow resolution, p50',
        eson: cached.p50 * 1000,
        dig: null,
        unit: 'µs',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: 'cached flow resolution, p99',
        eson: cached.p99 * 1000,
        dig: null,
        unit: 'µs',
        ratio: null,
        target: '< 50 µs',
        pass: cached.p99 * 1000 < 50,
      },
      {
        metric: 'registration, 1 in flight',
        eson: serial.perSecond,
        dig: null,
        unit: 'flows/s',
        ratio: null,
        target: '',
        pass: null,
      },
      {
        metric: `registration, ${SETTINGS.concurrency} in flight`,
        eson: parallel.perSecond,
        dig: null,
        unit: 'flows/s',
        ratio: null,
        target: '',
        pass: null,
      },
    ];
    printTable(rows);

    const results = {
      benchmark: 'fns',
      date: new Date().toISOString(),
      durationSeconds: (performance.now() - started) / 1000,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        bind: bind.version,
      },
      settings: SETTINGS,
      method: {
        uncached:
          'FlowResolver.resolveFlow over DnsResolver({ cache: false }) against BIND9 on 127.0.0.1: PTR, SRV, TXT, queue SRV, queue TXT in parallel, then A and AAAA; one resolution at a time',
        sequential: 'the same 7 queries through DnsResolver, one after another, as dig sends them',
        dig: "dig's Query time has 1 ms resolution (0 msec on loopback), so dig is timed by wall clock: (wall(dig -f N sets) - wall(dig -f 1 set)) / (N - 1) per round, +norec +noall +answer, stdout to /dev/null; the median round is compared",
        cached:
          'FlowResolver over a warm DnsResolver cache (TTL 3600 s), each call timed with process.hrtime.bigint',
        registration:
          'Rfc2136Writer.registerFlow of distinct flows (one TSIG-signed UPDATE with prerequisites each) for a fixed time',
      },
      table: rows.map((r) => ({ ...r, eson: Number.isNaN(r.eson) ? null : r.eson })),
      details: { uncached, dig, cachedMs: cached, registration: { serial, parallel } },
    };
    const out = new URL('./results/fns.json', import.meta.url);
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${out.pathname}`);
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- named output ---\n${bind.output().slice(-3000)}`;
    throw error;
  } finally {
    await bind.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
