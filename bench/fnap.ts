/**
 * FNAP agent benchmark: `npm run bench:fnap`. Each measurement of the agent runs beside a baseline
 * measured in the same run on the same machine with the same load generator:
 *
 * 1. Pipelined NOOP: commands/s and latency at 1, 64 and 1,000 connections; baseline: a minimal
 *    Node line server (bench/baseline-process.ts) answering `250 OK` per line.
 * 2. Pipelined DESCRIBE FLOW on authenticated sessions (the flow exists), same connection counts,
 *    same baseline.
 * 3. Implicit TLS (ECDSA P-256) + HELLO + SCRAM-SHA-256 + QUIT sessions/s, beside bare TLS
 *    handshakes/s against tls.createServer with the same certificate; no resumption on either.
 * 4. 10,000 idle greeted sessions: the agent's RSS before and after.
 *
 * The agent and the baselines run in child processes (bench/agent-process.ts,
 * bench/baseline-process.ts); the load runs in this process. Settings come from the environment:
 * BENCH_SECONDS (3), BENCH_WARMUP (1), BENCH_DEPTH (32), BENCH_CONNECTIONS (1,64,1000),
 * BENCH_TLS_CONCURRENCY (16), BENCH_IDLE_SESSIONS (10000), BENCH_SOURCES (8 loopback addresses),
 * BENCH_ONLY (comma list of noop,describe,tls,idle). Results: a table on stdout and
 * bench/results/fnap.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentInfo, AgentStartArgs } from './agent-process.ts';
import type { BaselineStartArgs } from './baseline-process.ts';
import type { ProcessStats, Usage } from './ipc.ts';
import { ServerProcess, usageBetween } from './ipc.ts';
import type { PipelineRun } from './load.ts';
import { PipelinedLoad } from './load.ts';
import { scramCounters } from './scram.ts';
import type { Credentials, Endpoint } from './session.ts';
import { loopbackSources, openSession, openSessions, ReplyReader } from './session.ts';
import type { MergedSessionRun, SessionLoadSpec } from './tls-worker.ts';
import { runSessionsInWorkers } from './tls-worker.ts';
import { envNumber } from './env.ts';

// ---------------------------------------------------------------------------------------------
// Settings

const SETTINGS = {
  seconds: envNumber('BENCH_SECONDS', 3),
  warmupSeconds: envNumber('BENCH_WARMUP', 1),
  depth: Math.round(envNumber('BENCH_DEPTH', 32)),
  latencyDepth: 1,
  connections: (process.env.BENCH_CONNECTIONS ?? '1,64,1000').split(',').map((c) => Math.round(Number(c))),
  tlsConcurrency: Math.round(envNumber('BENCH_TLS_CONCURRENCY', 16)),
  tlsWorkers: Math.round(envNumber('BENCH_TLS_WORKERS', Math.max(1, os.cpus().length - 1))),
  idleSessions: Math.round(envNumber('BENCH_IDLE_SESSIONS', 10_000)),
  sources: Math.min(254, Math.round(envNumber('BENCH_SOURCES', 8))),
  /** Write a CPU profile of each agent process into this directory. */
  profileDir: process.env.BENCH_PROFILE,
  only: new Set((process.env.BENCH_ONLY ?? 'noop,describe,tls,idle').split(',').map((s) => s.trim())),
};

const MEASURE_MS = SETTINGS.seconds * 1000;
const WARMUP_MS = SETTINGS.warmupSeconds * 1000;
/** The latency run follows the throughput run on the same connections: a shorter warm-up. */
const LATENCY_WARMUP_MS = WARMUP_MS / 2;
const IDLE_LIMIT_BYTES = 1024 ** 3;
const SOURCES = loopbackSources(SETTINGS.sources);
/** Raised so that the benchmark's own connections are not refused (defaults: 20000 and 256). */
const AGENT_LIMITS: AgentStartArgs = { limits: { maxSessions: 20_000, maxSessionsPerAddress: 20_000 } };

// ---------------------------------------------------------------------------------------------
// CPU use during a measured window, on both sides

interface WindowUsage {
  readonly server: Usage;
  readonly load: Usage;
}

class UsageWindow {
  private readonly server: ServerProcess;
  private serverBefore: Promise<ProcessStats> | undefined;
  private serverAfter: Promise<ProcessStats> | undefined;
  private loadCpu: NodeJS.CpuUsage | undefined;
  private loadElu: EventLoopUtilization | undefined;
  private opened = 0;
  private wallMs = 0;
  private load: Usage | undefined;

  constructor(server: ServerProcess) {
    this.server = server;
  }

  readonly open = (): void => {
    this.serverBefore = this.server.stats();
    this.loadCpu = process.cpuUsage();
    this.loadElu = performance.eventLoopUtilization();
    this.opened = performance.now();
  };

  readonly close = (): void => {
    this.serverAfter = this.server.stats();
    this.wallMs = performance.now() - this.opened;
    const cpu = process.cpuUsage(this.loadCpu);
    this.load = {
      cpu: (cpu.user + cpu.system) / 1000 / this.wallMs,
      elu: performance.eventLoopUtilization(this.loadElu).utilization,
    };
  };

  async result(): Promise<WindowUsage> {
    if (!this.serverBefore || !this.serverAfter || !this.load) throw new Error('usage window never closed');
    const [before, after] = await Promise.all([this.serverBefore, this.serverAfter]);
    return { server: usageBetween(before, after), load: this.load };
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface PipelineResult {
  readonly target: 'agent' | 'baseline';
  readonly command: string;
  readonly connections: number;
  readonly throughput: PipelineRun & { readonly usage: WindowUsage };
  readonly latency: PipelineRun & { readonly usage: WindowUsage };
}

function log(message: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

/** Waits until the server has noticed that the previous connections are gone. */
async function settle(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await server.stats()).sessions === 0) return;
    await sleep(50);
  }
}

async function measurePipeline(
  target: PipelineResult['target'],
  server: ServerProcess,
  endpoint: Endpoint,
  credentials: Credentials | undefined,
  command: string,
  connections: number,
): Promise<PipelineResult> {
  const sockets = await openSessions(
    connections,
    (source) => openSession(endpoint, source, credentials),
    SOURCES,
  );
  const load = new PipelinedLoad(sockets, `${command}\r\n`, SETTINGS.depth);
  try {
    const w1 = new UsageWindow(server);
    const throughput = await load.run(SETTINGS.depth, WARMUP_MS, MEASURE_MS, w1);
    const w2 = new UsageWindow(server);
    const latency = await load.run(SETTINGS.latencyDepth, LATENCY_WARMUP_MS, MEASURE_MS, w2);
    const result: PipelineResult = {
      target,
      command,
      connections,
      throughput: { ...throughput, usage: await w1.result() },
      latency: { ...latency, usage: await w2.result() },
    };
    log(
      `${command.split(' ').slice(0, 2).join(' ')} ${target} ${connections} conn: ` +
        `${fmtInt(throughput.perSecond)}/s (depth ${SETTINGS.depth}), ` +
        `p50 ${fmtMs(latency.latency.p50)} p99 ${fmtMs(latency.latency.p99)} ms (depth 1); ` +
        `server cpu ${pct(result.throughput.usage.server.cpu)} load cpu ${pct(result.throughput.usage.load.cpu)}` +
        (throughput.errors + latency.errors > 0
          ? `; ${throughput.errors + latency.errors} non-2xx replies!`
          : '') +
        (throughput.lost + latency.lost > 0 ? `; ${throughput.lost + latency.lost} connections lost!` : ''),
    );
    return result;
  } finally {
    load.close();
    await settle(server);
  }
}

/** One DESCRIBE FLOW answered by the agent, checked, to document what is being measured. */
async function describeOnce(
  endpoint: Endpoint,
  credentials: Credentials,
  flow: string,
): Promise<{ lines: number; bytes: number }> {
  const socket = await openSession(endpoint, '127.0.0.1', credentials);
  const reader = new ReplyReader(socket);
  socket.write(`DESCRIBE FLOW ${flow}\r\n`);
  const r = await reader.expect(250, 'DESCRIBE FLOW');
  socket.destroy();
  if (!r.lines.some((l) => l === `flow=${flow}`))
    throw new Error(`DESCRIBE FLOW did not describe ${flow}: ${r.lines.join(' / ')}`);
  const bytes = r.lines.reduce((sum, l) => sum + l.length + 6, 0);
  return { lines: r.lines.length, bytes };
}

interface TlsResult {
  readonly agent: MergedSessionRun & { readonly usage: WindowUsage };
  readonly baseline: MergedSessionRun & { readonly usage: WindowUsage };
}

async function measureTls(agent: ServerProcess, info: AgentInfo): Promise<TlsResult> {
  const bare = await ServerProcess.fork('bare TLS server', new URL('./baseline-process.ts', import.meta.url));
  try {
    const { port } = await bare.call<{ port: number }>('start', {
      kind: 'tls',
      keyFile: info.keyFile,
      certFile: info.certFile,
    } satisfies BaselineStartArgs);
    const common = { host: '127.0.0.1', ca: info.ca, servername: 'localhost' };
    const options = {
      concurrency: SETTINGS.tlsConcurrency,
      sources: SOURCES,
      warmupMs: WARMUP_MS,
      measureMs: MEASURE_MS,
    };
    const credentials = { user: info.user, password: info.password };
    const measure = async (server: ServerProcess, spec: SessionLoadSpec) => {
      const window = new UsageWindow(server);
      const run = await runSessionsInWorkers(spec, SETTINGS.tlsWorkers, window);
      const usage = await window.result();
      // The load runs in worker threads: their busiest event loop says whether they limited the run.
      return {
        ...run,
        durations: undefined,
        usage: { ...usage, load: { ...usage.load, elu: run.loadMaxElu } },
      };
    };
    const agentRun = await measure(agent, {
      ...options,
      kind: 'fnap',
      target: { ...common, port: info.tlsPort },
      credentials,
    });
    await settle(agent);
    const bareRun = await measure(bare, { ...options, kind: 'bare', target: { ...common, port } });
    log(
      `TLS: agent ${fmtInt(agentRun.perSecond)} sessions/s (cpu ${pct(agentRun.usage.server.cpu)}, load ${pct(agentRun.usage.load.cpu)}), ` +
        `bare ${fmtInt(bareRun.perSecond)} handshakes/s (cpu ${pct(bareRun.usage.server.cpu)}, load ${pct(bareRun.usage.load.cpu)})` +
        (agentRun.failures + bareRun.failures > 0
          ? `; failures ${agentRun.failures}/${bareRun.failures}: ${agentRun.firstFailure ?? bareRun.firstFailure}`
          : ''),
    );
    return { agent: agentRun, baseline: bareRun };
  } finally {
    await bare.stop();
  }
}

interface IdleResult {
  readonly requested: number;
  readonly opened: number;
  readonly agentSessions: number;
  readonly openSeconds: number;
  readonly before: ProcessStats;
  readonly after: ProcessStats;
  readonly bytesPerSession: number;
  readonly heapBytesPerSession: number;
  readonly pass: boolean;
}

async function measureIdle(fdLimit: number | undefined): Promise<IdleResult> {
  const count = SETTINGS.idleSessions;
  if (fdLimit !== undefined && fdLimit < count + 512) {
    throw new Error(
      `open-files limit ${fdLimit} is too low for ${count} sessions: raise it (ulimit -n) before running`,
    );
  }
  const agent = await ServerProcess.fork(
    'agent (idle)',
    new URL('./agent-process.ts', import.meta.url),
    SETTINGS.profileDir,
  );
  let sockets: net.Socket[] = [];
  try {
    const info = await agent.call<AgentInfo>('start', AGENT_LIMITS);
    await sleep(500);
    const before = await agent.stats(true);
    const endpoint: Endpoint = { host: '127.0.0.1', port: info.port };
    const t0 = performance.now();
    sockets = await openSessions(count, (source) => openSession(endpoint, source), SOURCES, 500);
    const openSeconds = (performance.now() - t0) / 1000;
    for (const s of sockets) s.on('error', () => undefined);
    await sleep(1000);
    const after = await agent.stats(true);
    const bytesPerSession = (after.rss - before.rss) / count;
    const result: IdleResult = {
      requested: count,
      opened: sockets.filter((s) => !s.destroyed).length,
      agentSessions: after.sessions,
      openSeconds,
      before,
      after,
      bytesPerSession,
      heapBytesPerSession: (after.heapUsed - before.heapUsed) / count,
      pass: after.sessions === count && after.rss <= IDLE_LIMIT_BYTES,
    };
    log(
      `idle: ${after.sessions} sessions in ${openSeconds.toFixed(1)} s; RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB, ` +
        `${fmtInt(bytesPerSession)} B/session (heap ${fmtInt(result.heapBytesPerSession)} B/session)`,
    );
    return result;
  } finally {
    for (const s of sockets) s.destroy();
    await agent.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  readonly metric: string;
  readonly agent: number;
  readonly baseline: number | undefined;
  readonly unit: string;
  /** agent / baseline */
  readonly ratio: number | undefined;
  readonly target: string;
  readonly pass: boolean | undefined;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(3) : n.toFixed(1)) : 'n/a');
const pct = (n: number): string => `${Math.round(n * 100)}%`;
const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return '';
  if (unit === 'ms') return fmtMs(value);
  if (unit === 'MiB') return mib(value);
  return fmtInt(value);
}

function usageText(perSecond: number, usage: WindowUsage): string {
  return (
    `server cpu ${pct(usage.server.cpu).padStart(4)} elu ${pct(usage.server.elu).padStart(4)}  ` +
    `load cpu ${pct(usage.load.cpu).padStart(4)} elu ${pct(usage.load.elu).padStart(4)}  ` +
    `${fmtInt(perSecond / usage.server.cpu).padStart(9)} per server cpu-s`
  );
}

function table(rows: readonly Row[]): string {
  const header = ['metric', 'agent', 'baseline', 'ratio', 'target', 'pass'];
  const cells = rows.map((r) => [
    r.metric,
    formatValue(r.agent, r.unit),
    formatValue(r.baseline, r.unit),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target,
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (i === 0 || i >= 4 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function pipelineRows(results: readonly PipelineResult[], command: string, label: string): Row[] {
  const rows: Row[] = [];
  for (const connections of SETTINGS.connections) {
    const agent = results.find(
      (r) => r.command === command && r.connections === connections && r.target === 'agent',
    );
    const base = results.find(
      (r) => r.command === command && r.connections === connections && r.target === 'baseline',
    );
    if (!agent || !base) continue;
    const ratio = agent.throughput.perSecond / base.throughput.perSecond;
    const isNoop = label === 'NOOP';
    rows.push({
      metric: `${label} cmd/s, ${connections} conn, depth ${SETTINGS.depth}`,
      agent: agent.throughput.perSecond,
      baseline: base.throughput.perSecond,
      unit: '/s',
      ratio,
      target: isNoop ? '>= 0.6x' : '',
      pass: isNoop ? ratio >= 0.6 : undefined,
    });
    for (const q of ['p50', 'p99'] as const) {
      const a = agent.latency.latency[q];
      const b = base.latency.latency[q];
      const p99Target = !isNoop && q === 'p99' && connections === 64;
      rows.push({
        metric: `${label} ${q} ms, ${connections} conn, depth 1`,
        agent: a,
        baseline: b,
        unit: 'ms',
        ratio: a / b,
        target: p99Target ? '<= 2 ms' : '',
        pass: p99Target ? a <= 2 : undefined,
      });
    }
  }
  return rows;
}

async function fdLimit(): Promise<number | undefined> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();

async function main(): Promise<void> {
  const openFiles = await fdLimit();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    openFilesLimit: openFiles,
  };
  log(
    `node ${machine.node}, ${machine.cpus} cpus (${machine.cpuModel}), open-files limit ${openFiles ?? 'unknown'}`,
  );
  log(`settings: ${JSON.stringify({ ...SETTINGS, only: [...SETTINGS.only] })}`);

  const pipelines: PipelineResult[] = [];
  let tlsResult: TlsResult | undefined;
  let idle: IdleResult | undefined;
  let describeReply: { lines: number; bytes: number } | undefined;

  const wantPipelines = SETTINGS.only.has('noop') || SETTINGS.only.has('describe');
  if (wantPipelines || SETTINGS.only.has('tls')) {
    const agent = await ServerProcess.fork(
      'agent',
      new URL('./agent-process.ts', import.meta.url),
      SETTINGS.profileDir,
    );
    const line = await ServerProcess.fork('line server', new URL('./baseline-process.ts', import.meta.url));
    try {
      const info = await agent.call<AgentInfo>('start', AGENT_LIMITS);
      const { port: linePort } = await line.call<{ port: number }>('start', {
        kind: 'line',
      } satisfies BaselineStartArgs);
      log(
        `agent pid ${info.pid} on ${info.port} (TLS ${info.tlsPort}); line server pid ${line.pid} on ${linePort}`,
      );
      const agentEndpoint: Endpoint = { host: '127.0.0.1', port: info.port };
      const lineEndpoint: Endpoint = { host: '127.0.0.1', port: linePort };
      const credentials = { user: info.user, password: info.password };
      describeReply = await describeOnce(agentEndpoint, credentials, info.flow);
      const commands: string[] = [];
      if (SETTINGS.only.has('noop')) commands.push('NOOP');
      if (SETTINGS.only.has('describe')) commands.push(`DESCRIBE FLOW ${info.flow}`);
      for (const command of commands) {
        for (const connections of SETTINGS.connections) {
          pipelines.push(
            await measurePipeline('agent', agent, agentEndpoint, credentials, command, connections),
          );
          pipelines.push(
            await measurePipeline('baseline', line, lineEndpoint, undefined, command, connections),
          );
        }
      }
      if (SETTINGS.only.has('tls')) tlsResult = await measureTls(agent, info);
    } finally {
      await Promise.all([agent.stop(), line.stop()]);
    }
  }
  if (SETTINGS.only.has('idle')) idle = await measureIdle(openFiles);

  const rows: Row[] = [];
  rows.push(...pipelineRows(pipelines, 'NOOP', 'NOOP'));
  const describeCommand = pipelines.find((p) => p.command.startsWith('DESCRIBE'))?.command;
  if (describeCommand) rows.push(...pipelineRows(pipelines, describeCommand, 'DESCRIBE FLOW'));
  if (tlsResult) {
    const { agent: a, baseline: b } = tlsResult;
    const ratio = a.perSecond / b.perSecond;
    rows.push({
      metric: `TLS+SCRAM+QUIT sessions/s vs bare TLS handshakes/s, ${SETTINGS.tlsConcurrency} concurrent`,
      agent: a.perSecond,
      baseline: b.perSecond,
      unit: '/s',
      ratio,
      target: '>= 0.8x',
      pass: ratio >= 0.8,
    });
    // Sessions per second of server CPU: what one core of the server could do, whoever limited the run.
    const capacity = (run: typeof a) => run.perSecond / run.usage.server.cpu;
    const capacityRatio = capacity(a) / capacity(b);
    rows.push({
      metric: '  the same per second of server CPU (capacity of one core)',
      agent: capacity(a),
      baseline: capacity(b),
      unit: '/s',
      ratio: capacityRatio,
      target: '>= 0.8x',
      pass: capacityRatio >= 0.8,
    });
  }
  if (idle) {
    rows.push(
      {
        metric: 'idle: sessions open at the agent',
        agent: idle.agentSessions,
        baseline: undefined,
        unit: '',
        ratio: undefined,
        target: `= ${idle.requested}`,
        pass: idle.agentSessions === idle.requested,
      },
      {
        metric: 'idle: agent RSS before (MiB)',
        agent: idle.before.rss,
        baseline: undefined,
        unit: 'MiB',
        ratio: undefined,
        target: '',
        pass: undefined,
      },
      {
        metric: `idle: agent RSS with ${idle.requested} idle sessions (MiB)`,
        agent: idle.after.rss,
        baseline: undefined,
        unit: 'MiB',
        ratio: undefined,
        target: '<= 1024 MiB',
        pass: idle.after.rss <= IDLE_LIMIT_BYTES,
      },
      {
        metric: 'idle: RSS bytes per session',
        agent: idle.bytesPerSession,
        baseline: undefined,
        unit: 'B',
        ratio: undefined,
        target: '',
        pass: undefined,
      },
      {
        metric: 'idle: JS heap bytes per session',
        agent: idle.heapBytesPerSession,
        baseline: undefined,
        unit: 'B',
        ratio: undefined,
        target: '',
        pass: undefined,
      },
    );
  }

  const usageRows = pipelines.flatMap((p) =>
    (['throughput', 'latency'] as const).map((kind) => {
      const run = p[kind];
      return `${p.command.split(' ').slice(0, 2).join(' ').padEnd(13)} ${p.target.padEnd(8)} ${String(p.connections).padStart(5)} conn  depth ${String(run.depth).padStart(3)}  ${fmtInt(run.perSecond).padStart(9)}/s  ${usageText(run.perSecond, run.usage)}`;
    }),
  );
  if (tlsResult) {
    for (const [name, run] of [
      ['agent', tlsResult.agent],
      ['bare TLS', tlsResult.baseline],
    ] as const) {
      usageRows.push(
        `TLS sessions  ${name.padEnd(8)} ${String(run.concurrency).padStart(5)} conc              ${fmtInt(run.perSecond).padStart(9)}/s  ${usageText(run.perSecond, run.usage)}`,
      );
    }
  }

  const notes = [
    `Throughput rows: each connection keeps ${SETTINGS.depth} commands outstanding (pipelining depth ${SETTINGS.depth}); commands/s = replies completed in the ${SETTINGS.seconds} s window / window, after a ${SETTINGS.warmupSeconds} s warm-up.`,
    `Latency rows (p50/p99): depth 1, i.e. each connection has exactly one command outstanding (closed loop); latency = time from the write carrying a command to the arrival of the last line of its reply, measured in the load generator. Latencies at depth ${SETTINGS.depth} are in the JSON.`,
    `Baseline for NOOP and DESCRIBE FLOW: a minimal Node line server (net.createServer, 220 greeting, '250 OK\\r\\n' per LF, one write per input chunk) with the same load generator and commands. The agent's DESCRIBE FLOW reply is ${describeReply ? `${describeReply.lines} lines, ${describeReply.bytes} bytes` : 'n/a'}; the baseline's is 8 bytes.`,
    `Agent sessions for NOOP and DESCRIBE FLOW are authenticated (SCRAM-SHA-256) before the run, as user alice who owns the flow; baseline sessions are only greeted.`,
    `TLS: implicit-TLS port, ECDSA P-256 certificate from the harness CA; each session is a new TCP connection and a full handshake (the client never offers a session or ticket: no resumption), then greeting, HELLO pipelined with AUTHENTICATE SCRAM-SHA-256, client-final, empty ack, QUIT, and the agent closes. Baseline: tls.createServer with the same key, certificate and options, ending each connection after its handshake. Same client, same concurrency (${SETTINGS.tlsConcurrency}, over ${SETTINGS.tlsWorkers} load worker thread(s)), the client verifies the certificate against the CA in both. A client handshake costs 2-3x the server's CPU, so on a small machine the client limits both runs (load elu ~100%, server elu below): then the raw ratio says little, and the 'per second of server CPU' row (sessions / server CPU-seconds, i.e. what one server core sustains) is the comparison to trust.`,
    `SCRAM client: SaltedPassword-derived keys (ClientKey, StoredKey, ServerKey) are cached per (user, salt, iteration count) as RFC 5802 §5.1 allows; PBKDF2 ran ${scramCounters.pbkdf2} times for ${scramCounters.exchanges} exchanges. Nonces, proofs and the server-signature check are computed for every exchange.`,
    `Processes: the agent, the line server and the bare TLS server each run in their own child process; the pipelined load runs in this process's main thread, the TLS session load in worker threads. 'server cpu' is CPU time / wall time of the server process (all its threads), 'elu' its main-thread event-loop utilisation; a server at ~100% elu is the bottleneck, a load generator at ~100% elu with a server below it means the load generator limits the run (for the line-server baseline this makes the baseline, and so every ratio's denominator, an underestimate). 'per server cpu-s' = rate / server cpu, robust to other load on the machine.`,
    `Connections come from ${SETTINGS.sources} loopback source addresses (127.0.0.1-${SETTINGS.sources}); the agent's maxSessions and maxSessionsPerAddress are raised to 20000.`,
    `Idle sessions: a fresh agent process; RSS (and heap) measured after a forced GC before and 1 s after opening ${SETTINGS.idleSessions} greeted, unauthenticated, idle connections. Open-files limit here: ${openFiles ?? 'unknown'} (soft limit of this process; the agent child inherits it; ulimit -n cannot be set from the npm script).`,
  ];

  const output = [
    '',
    table(rows),
    '',
    'Saturation (measured windows):',
    ...usageRows.map((r) => `  ${r}`),
    '',
    'Notes:',
    ...notes.map((n) => `  - ${n}`),
    '',
  ].join('\n');
  process.stdout.write(output);

  const durationSeconds = (performance.now() - started) / 1000;
  const json = {
    benchmark: 'fnap',
    date: new Date().toISOString(),
    durationSeconds,
    machine,
    settings: { ...SETTINGS, only: [...SETTINGS.only], sources: SOURCES, agentLimits: AGENT_LIMITS.limits },
    table: rows.map((r) => ({
      ...r,
      baseline: r.baseline ?? null,
      ratio: r.ratio ?? null,
      pass: r.pass ?? null,
    })),
    describeReply,
    pipelines,
    tls: tlsResult,
    idle,
    scram: { ...scramCounters },
    notes,
  };
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const file = new URL('fnap.json', dir);
  await writeFile(file, `${JSON.stringify(json, replacer, 2)}\n`);
  log(`done in ${durationSeconds.toFixed(1)} s; results in ${file.pathname}`);
}

/** NaN and Infinity are not JSON: written as null. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

await main();
