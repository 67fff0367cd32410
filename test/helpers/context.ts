/**
 * A hermetic core Context for tests: settings from a record, real file reads,
 * no network, and a logger that records every line so tests can check for leaks.
 */

import { readFile } from 'node:fs/promises';
import { Settings } from '../../src/settings.js';
import type { Context } from '../../src/types.js';

export interface TestContext extends Context {
  logged: string[];
}

export function testContext(settings: Record<string, string> = {}): TestContext {
  const logged: string[] = [];
  return {
    settings: Settings.fromRecord(settings),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    run: async () => {
      throw new Error('test context: running programs is not allowed here');
    },
    fetch: async () => {
      throw new Error('test context: no network');
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
    log: {
      debug: (m) => logged.push(`debug: ${m}`),
      info: (m) => logged.push(`info: ${m}`),
      warn: (m) => logged.push(`warn: ${m}`),
    },
    logged,
  };
}
