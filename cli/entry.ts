/**
 * The CLI's entry function, shared by `main.ts` (the ES module build) and the
 * bundle that `launch.cts` runs: `--version` answers before anything heavy is
 * loaded; every other invocation loads the commander program on demand.
 */

import { EXIT } from './exit-codes.js';
import { isVersionOnly, VERSION } from './version.js';

export async function main(argv: readonly string[]): Promise<number> {
  if (isVersionOnly(argv)) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  process.stdout.on('error', quietOnClosedOutput);
  const { run } = await import('./program.js');
  return run(argv);
}

/**
 * A reader that stops early (`keyward decrypt f | head -1`) closes the pipe: the run
 * ends at once, without a message, with 141 (128 + SIGPIPE, what a shell reports
 * for sops in the same place). Any other stdout failure is exit code 3.
 */
function quietOnClosedOutput(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(EXIT.closedOutput);
  process.stderr.write(`keyward: cannot write to standard output (${err.code ?? 'error'})\n`);
  process.exit(EXIT.couldNotWriteOutput);
}
