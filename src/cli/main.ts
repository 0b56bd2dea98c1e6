/**
 * The `eson` CLI (the FNUA of the seed's figure 21). Each command lives in commands/ and is loaded
 * lazily; every error is caught here, once, and turned into a message on stderr and an exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, exitCodeFor } from './exit-codes.ts';
import { createOutput } from './output.ts';
import { ConfigError } from '../config/agent-config.ts';
import type { GlobalOptions } from './session.ts';

const VERSION = '0.1.0';

function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function buildProgram(): Command {
  const program = new Command('eson')
    .description('ESON user agent: manage namespaces and flows on an FNAP agent, read and write events')
    .version(VERSION)
    .option('--json', 'print results as JSON')
    .option('--agent <host:port>', 'agent to talk to (instead of the saved login)')
    .addOption(new Option('--tls <mode>', 'TLS mode').choices(['implicit', 'starttls', 'none']))
    .option('--ca <file>', 'PEM file of the CA that signed the agent certificate')
    .option('--servername <fqdn>', 'name to verify the agent certificate against')
    .option('--user <name>', 'user name (password from ESON_PASSWORD or the saved login)')
    .option('--anonymous', 'authenticate anonymously (public flows only)')
    .option(
      '--nameserver <host:port>',
      'DNS server to find agents through (default: the saved login, else the system)',
    )
    .showHelpAfterError()
    .exitOverride();

  const out = (cmd: Command) => createOutput(Boolean(globals(cmd).json));

  program
    .command('login')
    .description('check and save the agent address and credentials (file mode 0600)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--dev <participant>', 'log in as the user of a participant of a running `eson dev`')
    .option('--dir <dir>', 'the `eson dev` directory', '.eson-dev')
    .action(async (_o, cmd: Command) => {
      const { login } = await import('./commands/login.ts');
      await login(cmd.optsWithGlobals(), out(cmd));
    });

  const create = program.command('create').description('create a namespace or a flow');
  create
    .command('namespace <namespace>')
    .description('create a child namespace of one you own')
    .action(async (name: string, _o, cmd: Command) => {
      const { createNamespace } = await import('./commands/namespace.ts');
      await createNamespace(name, globals(cmd), out(cmd));
    });
  create
    .command('flow <flow>')
    .description('create a flow (FQDN or flow:// URI) in a namespace you own')
    .option('--broker <type>', 'broker type (default: the agent default)')
    .addOption(new Option('--visibility <v>', 'who may read it').choices(['public', 'private']))
    .option('--public', 'same as --visibility public')
    .option('--description <text>', 'free text')
    .action(async (name: string, _o, cmd: Command) => {
      const { createFlow } = await import('./commands/flow.ts');
      await createFlow(name, cmd.optsWithGlobals(), out(cmd));
    });

  const del = program.command('delete').description('delete a namespace or a flow');
  del.command('namespace <namespace>').action(async (name: string, _o, cmd: Command) => {
    const { deleteNamespace } = await import('./commands/namespace.ts');
    await deleteNamespace(name, globals(cmd), out(cmd));
  });
  del.command('flow <flow>').action(async (name: string, _o, cmd: Command) => {
    const { deleteFlow } = await import('./commands/flow.ts');
    await deleteFlow(name, globals(cmd), out(cmd));
  });

  const describe = program.command('describe').description('show a namespace or a flow');
  describe.command('namespace <namespace>').action(async (name: string, _o, cmd: Command) => {
    const { describeNamespace } = await import('./commands/namespace.ts');
    await describeNamespace(name, globals(cmd), out(cmd));
  });
  describe.command('flow <flow>').action(async (name: string, _o, cmd: Command) => {
    const { describeFlow } = await import('./commands/flow.ts');
    await describeFlow(name, globals(cmd), out(cmd));
  });

  const update = program.command('update').description('change a flow');
  update
    .command('flow <flow>')
    .addOption(new Option('--visibility <v>', 'who may read it').choices(['public', 'private']))
    .option('--public', 'same as --visibility public')
    .option('--description <text>', 'free text')
    .action(async (name: string, _o, cmd: Command) => {
      const { updateFlow } = await import('./commands/flow.ts');
      await updateFlow(name, cmd.optsWithGlobals(), out(cmd));
    });

  const get = program.command('get').description('list namespaces or flows');
  get.command('namespaces').action(async (_o, cmd: Command) => {
    const { getNamespaces } = await import('./commands/namespace.ts');
    await getNamespaces(globals(cmd), out(cmd));
  });
  get.command('flows [namespace]').action(async (ns: string | undefined, _o, cmd: Command) => {
    const { getFlows } = await import('./commands/flow.ts');
    await getFlows(ns, globals(cmd), out(cmd));
  });

  program
    .command('write <flow> [data...]')
    .description('write events: each argument or stdin line becomes one CloudEvent')
    .option('--type <type>', 'CloudEvents type', 'eson.cli.write')
    .option('--source <uri>', 'CloudEvents source', 'eson://cli')
    .option('--subject <subject>', 'CloudEvents subject')
    .option('--raw', 'input lines are CloudEvent JSON already')
    .action(async (flow: string, data: string[], _o, cmd: Command) => {
      const { write } = await import('./commands/write.ts');
      await write(flow, data, cmd.optsWithGlobals(), out(cmd));
    });

  program
    .command('read <flow>')
    .description('print events, one CloudEvent JSON per line')
    .option('--from <position>', 'a position, earliest, latest or committed', 'earliest')
    .option('--limit <n>', 'events per request')
    .option('--wait <seconds>', 'long-poll this long when no event is there')
    .option('--follow', 'keep reading as events arrive (Ctrl-C stops)')
    .action(async (flow: string, _o, cmd: Command) => {
      const { read } = await import('./commands/read.ts');
      await read(flow, cmd.optsWithGlobals(), out(cmd));
    });

  program
    .command('resolve <flow>')
    .description('resolve a flow:// URI through DNS: its agent and its broker')
    .action(async (flow: string, _o, cmd: Command) => {
      const { resolve } = await import('./commands/resolve.ts');
      await resolve(flow, globals(cmd), out(cmd));
    });

  program
    .command('serve')
    .description('run one agent')
    .requiredOption('--config <file>', 'agent configuration (JSON)')
    .action(async (_o, cmd: Command) => {
      const { serve } = await import('./commands/serve.ts');
      await serve(cmd.optsWithGlobals(), out(cmd));
    });

  program
    .command('dev')
    .description('run a whole network on this machine (orange and blue by default)')
    .option('--dir <dir>', 'state directory', '.eson-dev')
    .option('--participants <names>', 'comma-separated participant names', 'orange,blue')
    .option('--base-port <port>', 'first port; 0 picks free ports', '61000')
    .option('--dns-port <port>', 'embedded DNS server port (default 5300, or free with --base-port 0)')
    .action(async (_o, cmd: Command) => {
      const { dev } = await import('./commands/dev.ts');
      await dev(cmd.optsWithGlobals(), out(cmd));
    });

  const user = program.command('user').description("administer users in an agent's data directory");
  const dataDir = new Option('--data-dir <dir>', 'the agent data directory').env('ESON_DATA_DIR');
  user
    .command('add <name>')
    .addOption(dataDir)
    .option('--password-stdin', 'read the password from standard input (else one is generated)')
    .action(async (name: string, _o, cmd: Command) => {
      const { userAdd } = await import('./commands/user.ts');
      await userAdd(name, cmd.optsWithGlobals(), out(cmd));
    });
  user
    .command('list')
    .addOption(dataDir)
    .action(async (_o, cmd: Command) => {
      const { userList } = await import('./commands/user.ts');
      await userList(cmd.optsWithGlobals(), out(cmd));
    });
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(`${verb} <name>`)
      .addOption(dataDir)
      .action(async (name: string, _o, cmd: Command) => {
        const { userDisable } = await import('./commands/user.ts');
        await userDisable(name, disabled, cmd.optsWithGlobals(), out(cmd));
      });
  }
  user
    .command('passwd <name>')
    .description('reset a password')
    .addOption(dataDir)
    .option('--password-stdin', 'read the password from standard input (else one is generated)')
    .action(async (name: string, _o, cmd: Command) => {
      const { userPasswd } = await import('./commands/user.ts');
      await userPasswd(name, cmd.optsWithGlobals(), out(cmd));
    });

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it too. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are normal exits; commander already printed the message.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    // A configuration file that cannot be read or is invalid is the operator's to fix: exit 8, no stack.
    const code =
      error instanceof CliError
        ? error.exitCode
        : error instanceof ConfigError
          ? ExitCode.Config
          : exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`eson: ${message}\n`);
    if (code === ExitCode.Internal && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return code;
  }
}
