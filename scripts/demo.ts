/**
 * `npm run demo`: starts `eson dev` (two participants on embedded defaults) and drives a scripted
 * scenario through the real `eson` CLI, printing each command and what it answered. Everything
 * lives in a temporary directory and on free ports, so the demo can run beside anything else.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The CLI's entry point, run with this Node (bin/eson is the wrapper that finds one for a shell).
const eson = path.join(root, 'src', 'cli', 'bin.ts');
const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-demo-'));
const env = { ...process.env, ESON_CONFIG_DIR: path.join(dir, 'config') };

function say(text: string): void {
  process.stdout.write(`\n# ${text}\n`);
}

async function run(args: string[], input?: string): Promise<string> {
  process.stdout.write(`$ eson ${args.map((a) => (/[\s'"{}]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [eson, ...args], { env }, (error, stdout, stderr) => {
      process.stdout.write(stdout.replace(/^(?=.)/gm, '  '));
      if (stderr) process.stdout.write(stderr.replace(/^(?=.)/gm, '  ! '));
      if (error) reject(new Error(`eson ${args[0] ?? ''} failed (exit ${String(error.code)})`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function waitForNetwork(file: string, child: ReturnType<typeof spawn>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`eson dev exited with ${child.exitCode}`);
    try {
      JSON.parse(await readFile(file, 'utf8'));
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('eson dev did not write network.json within 30 s');
}

say(`starting eson dev in ${dir} (participants orange and blue, free ports)`);
const devDir = path.join(dir, 'network');
const dev = spawn(process.execPath, [eson, 'dev', '--dir', devDir, '--base-port', '0'], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
dev.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '  ')));
let failed = false;
try {
  await waitForNetwork(path.join(devDir, 'network.json'), dev);

  say("log in as orange's user (address, CA and password come from network.json)");
  await run(['login', '--dev', 'orange', '--dir', devDir]);

  say('create a child namespace and a flow in it');
  await run(['create', 'namespace', 'demo.flows.orange.test']);
  await run(['create', 'flow', 'time.demo.flows.orange.test', '--public', '--description', 'clock ticks']);

  say('write events: from arguments, then from standard input (plain text and JSON become CloudEvents)');
  await run(['write', 'time.demo.flows.orange.test', 'tick 1', '{"tick":2}']);
  await run(['write', 'time.demo.flows.orange.test', '--type', 'demo.tick'], 'tick 3\n{"tick":4}\n');

  say('read them back');
  await run(['read', 'time.demo.flows.orange.test']);
  await run(['read', 'flow://time.demo.flows.orange.test', '--from', '2', '--limit', '1']);

  say('describe the flow and list what orange has');
  await run(['describe', 'flow', 'flow://time.demo.flows.orange.test']);
  await run(['get', 'flows']);
  await run(['get', 'namespaces']);

  const network = JSON.parse(await readFile(path.join(devDir, 'network.json'), 'utf8')) as {
    dns: { host: string; port: number };
  };
  say(`the flow is in DNS: the network's DNS server (${network.dns.host}:${network.dns.port}) resolves it`);
  await run(['resolve', 'flow://time.demo.flows.orange.test']);

  say("log in as blue's user: blue's agent, but the same network DNS");
  await run(['login', '--dev', 'blue', '--dir', devDir]);
  say("blue's user names orange's flow only: the CLI finds orange's agent through DNS and reads anonymously");
  await run(['describe', 'flow', 'flow://time.demo.flows.orange.test']);
  await run(['read', 'flow://time.demo.flows.orange.test', '--from', '3']);
  say('but may not write to it (550)');
  await run(['write', 'flow://time.demo.flows.orange.test', 'forged']).then(
    () => {
      throw new Error('an anonymous write was accepted');
    },
    () => process.stdout.write('  (refused, as it should be)\n'),
  );
  say('subscriptions from blue to orange arrive with the federation issue');
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  say('stopping eson dev (SIGTERM)');
  dev.kill('SIGTERM');
  const [code] = (await once(dev, 'exit')) as [number | null];
  process.stdout.write(`  eson dev exited with ${String(code)}\n`);
  await rm(dir, { recursive: true, force: true });
  if (code !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
