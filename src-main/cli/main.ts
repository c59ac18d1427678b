/** Entry point of the `vfab` command (bin/vfab.js loads the built copy of this file). */
import { processIo } from './output';
import { runCli } from './program';

// `vfab info job x | head`: a reader that stops early is no error. The command runs to its own
// end rather than exiting here: a plot must still take its normal or signal path.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vfab: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
