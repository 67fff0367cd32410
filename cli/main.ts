#!/usr/bin/env node
/**
 * keyward command line: SOPS-compatible encryption and decryption of secrets files.
 * Every failure is reported as one clear line on stderr with a documented exit code,
 * never a stack trace. `--version` answers before anything heavy is loaded; each
 * command loads the core only when it runs.
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

process.exitCode = await main(process.argv.slice(2));
