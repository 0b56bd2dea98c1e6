// The entry point of the `eson` command (bin/eson finds a Node that runs TypeScript, then this).
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A failed command has nothing left to do; a socket it could not close (a connect or greeting that
// timed out) must not keep the process alive.
if (code !== 0) process.exit(code);
