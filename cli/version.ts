/**
 * keyward's version: written into the bundle at build time (scripts/bundle.mjs),
 * read from package.json by the plain ES module build. Kept apart from the core so
 * `keyward --version` answers without loading any parser or crypto code.
 */

import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version;
    }
  } catch {
    // fall through: a broken install still answers --version
  }
  return 'unknown';
}

declare const __KEYWARD_VERSION__: string | undefined;

export const VERSION = typeof __KEYWARD_VERSION__ === 'string' ? __KEYWARD_VERSION__ : readVersion();

/** True for an invocation that only asks for the version. */
export function isVersionOnly(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version');
}
