/** Entry point of the `vfab` command (bin/vfab.js loads the built copy of this file). */
import { processIo } from './output';
import { runCli } from './program';

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vfab: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
