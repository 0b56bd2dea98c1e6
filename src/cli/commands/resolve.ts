/** eson resolve <flow-uri>: what the Flow Name Service says about a flow (or its namespace's agent). */
import { resolveFlowOrNamespace } from '../discovery.ts';
import { loadProfile } from '../profile.ts';
import type { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';

export async function resolve(uri: string, options: GlobalOptions, out: Output): Promise<void> {
  const nameserver = options.nameserver ?? (await loadProfile().catch(() => undefined))?.nameserver;
  const found = await resolveFlowOrNamespace(uri, nameserver);
  const agent = found.agent;
  const lines = [
    `flow       ${found.flow}`,
    found.kind === 'namespace'
      ? `status     not in DNS; namespace ${found.namespace} is served by the agent below (${found.unknownFlow})`
      : 'status     registered',
    `agent      ${agent.host}:${agent.port}${agent.tls ? ' (TLS)' : ''}  addresses ${agent.addresses.join(', ') || '-'}`,
  ];
  if (found.broker) {
    const b = found.broker;
    lines.push(`broker     ${b.type} ${b.host}:${b.port}${b.tls ? ' (TLS)' : ''}`);
    lines.push(`queue      ${b.queue}${b.queueUrl ? `  ${b.queueUrl}` : ''}`);
  }
  lines.push(`ttl        ${found.ttl}s${found.authenticated ? '  DNSSEC-validated' : ''}`);
  out.result(lines, {
    flow: found.flow,
    registered: found.kind === 'flow',
    ...(found.kind === 'namespace' ? { namespace: found.namespace } : {}),
    agent: { host: agent.host, port: agent.port, tls: agent.tls, addresses: agent.addresses },
    broker: found.broker
      ? {
          type: found.broker.type,
          host: found.broker.host,
          port: found.broker.port,
          queue: found.broker.queue,
          tls: found.broker.tls,
          ...(found.broker.queueUrl ? { queueUrl: found.broker.queueUrl } : {}),
        }
      : null,
    ttl: found.ttl,
    authenticated: found.authenticated,
  });
}
