/**
 * A real FNAA agent in its own process, for bench/fnap.ts: started like the test harness (fresh
 * data directory, ECDSA P-256 certificate from a fresh CA, port 0 for both listeners, the
 * harness's users), plus one flow for DESCRIBE FLOW. The parent drives it over the IPC channel:
 * `start` (with limit overrides), `stats` (process.memoryUsage(), CPU, event-loop use, open
 * sessions; optionally after a forced GC) and `stop`.
 */
import path from 'node:path';
import type { AgentLimits } from '../src/agent/limits.ts';
import { createFlow } from '../src/core/flows.ts';
import { userIdentity } from '../src/core/identity.ts';
import type { TestAgent } from '../test/support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../test/support/agent-harness.ts';
import { serveParent } from './ipc.ts';

export interface AgentStartArgs {
  readonly limits?: Partial<AgentLimits>;
}

export interface AgentInfo {
  readonly pid: number;
  readonly fqdn: string;
  readonly port: number;
  readonly tlsPort: number;
  /** PEM of the CA that signed the agent's certificate. */
  readonly ca: string;
  /** The agent's key and certificate (PEM files), for the bare TLS baseline. */
  readonly keyFile: string;
  readonly certFile: string;
  readonly user: string;
  readonly password: string;
  /** A flow the user owns, for DESCRIBE FLOW. */
  readonly flow: string;
}

export const BENCH_FLOW = `bench.${NAMESPACE}`;

let agent: TestAgent | undefined;

serveParent(
  {
    async start(args): Promise<AgentInfo> {
      if (agent) throw new Error('agent already started');
      const { limits } = (args ?? {}) as AgentStartArgs;
      agent = await startTestAgent(limits ? { limits } : {});
      await createFlow(agent.agent.deps, userIdentity('alice'), BENCH_FLOW, { visibility: 'private' });
      return {
        pid: process.pid,
        fqdn: FQDN,
        port: agent.port,
        tlsPort: agent.tlsPort,
        ca: agent.ca,
        keyFile: path.join(agent.dir, 'key.pem'),
        certFile: path.join(agent.dir, 'cert.pem'),
        user: 'alice',
        password: USERS.alice,
        flow: BENCH_FLOW,
      };
    },
    async stop(): Promise<void> {
      // The parent disconnects once it has the answer, and the process then exits (serveParent).
      const running = agent;
      agent = undefined;
      await running?.dispose();
    },
  },
  () => agent?.agent.server.sessionCount ?? 0,
);
