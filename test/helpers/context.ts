/**
 * A hermetic core Context for tests: settings from a record, real file reads, no
 * network, and a logger that records every line so tests can check for leaks.
 * Running programs (gpg, key commands) is allowed only when `allowRun` is set.
 */

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Settings } from '../../src/settings.js';
import type { Context, RunOptions, RunResult } from '../../src/types.js';

export interface TestContext extends Context {
  logged: string[];
}

/** Runs a program for real (used by tests of key types that shell out, such as pgp). */
export function realRun(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // a program that exits without reading its input
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: new Uint8Array(Buffer.concat(out)), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(options.input);
  });
}

export function testContext(settings: Record<string, string> = {}, allowRun = false): TestContext {
  const logged: string[] = [];
  return {
    settings: Settings.fromRecord(settings),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    run: allowRun
      ? realRun
      : async () => {
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
