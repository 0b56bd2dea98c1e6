/** eson serve --config <file>: runs one agent until SIGINT or SIGTERM, then shuts down gracefully. */
import { once } from 'node:events';
import { loadAgentConfig } from '../../config/agent-config.ts';
import { startAgent } from '../../agent/agent.ts';
import type { Output } from '../output.ts';

export async function serve(options: { config: string }, out: Output): Promise<void> {
  const config = await loadAgentConfig(options.config);
  const agent = await startAgent(config);
  out.result(
    `agent ${config.fqdn} listening on ${config.listen.host}:${agent.addresses.port}` +
      (agent.addresses.tlsPort ? ` (TLS ${agent.addresses.tlsPort})` : ''),
    { fqdn: config.fqdn, host: config.listen.host, ...agent.addresses },
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await agent.stop();
}
