/**
 * Test helpers: private temp folders that are removed after each test file, and
 * running a program (a rig tool or the built keyward CLI) to get its exit code,
 * stdout and stderr without throwing.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The installed `keyward` command: the launcher running the bundled CLI with its code cache. */
export const CLI = join(REPO, 'dist', 'cli', 'launch.cjs');
/** Files encrypted by real sops releases, with their public test keys (see its ORIGIN.md). */
export const CONFORMANCE = join(REPO, 'test', 'fixtures', 'sops-upstream');

/** A fresh 0700 temp folder, removed when the test file finishes. */
export function tempDir(prefix = 'keyward-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  /** Wall time of the run in milliseconds. */
  ms: number;
  /** True when the run was killed for exceeding `timeoutMs`. */
  timedOut: boolean;
}

export interface RunOpts {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  /** Start from an environment holding only PATH and HOME (plus `env`). */
  clean?: boolean;
  /** Kill the program (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
}

export function run(command: string, args: readonly string[], opts: RunOpts = {}): Promise<Ran> {
  const base: Record<string, string | undefined> = opts.clean
    ? { PATH: process.env.PATH, HOME: opts.env?.HOME ?? process.env.HOME }
    : { ...process.env };
  const env = { ...base, ...opts.env, SOPS_DISABLE_VERSION_CHECK: '1' };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: opts.cwd ?? REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code: code ?? -1,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        ms: performance.now() - started,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** Runs the built keyward CLI. */
export function keyward(args: readonly string[], opts: RunOpts = {}): Promise<Ran> {
  return run(process.execPath, [CLI, ...args], opts);
}
