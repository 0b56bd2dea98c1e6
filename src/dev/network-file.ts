/** `<dir>/network.json` of `eson dev`: what clients (and outside tests) need to reach each participant. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const participantSchema = z.object({
  name: z.string(),
  zone: z.string(),
  namespace: z.string(),
  agent: z.object({ fqdn: z.string(), host: z.string(), port: z.number(), tlsPort: z.number() }),
  caFile: z.string(),
  users: z.array(z.object({ name: z.string(), password: z.string() })),
  dataDir: z.string(),
});

export const networkSchema = z.object({
  /** The embedded DNS server that is authoritative for every participant's zone. */
  dns: z.object({ host: z.string(), port: z.number() }),
  /** Every participant's CA in one PEM file, so a client can verify any agent of the network. */
  caBundle: z.string(),
  participants: z.array(participantSchema),
});
export type NetworkJson = z.infer<typeof networkSchema>;
export type ParticipantJson = z.infer<typeof participantSchema>;

export function networkFile(dir: string): string {
  return path.join(dir, 'network.json');
}

export async function readNetwork(dir: string): Promise<NetworkJson> {
  return networkSchema.parse(JSON.parse(await readFile(networkFile(dir), 'utf8')));
}
