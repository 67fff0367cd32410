/**
 * The CLI's entry function, shared by `main.ts` (the ES module build) and the
 * bundle that `launch.cts` runs: `--version` answers before anything heavy is
 * loaded; every other invocation loads the commander program on demand.
 */

import { isVersionOnly, VERSION } from './version.js';

export async function main(argv: readonly string[]): Promise<number> {
  if (isVersionOnly(argv)) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { run } = await import('./program.js');
  return run(argv);
}
