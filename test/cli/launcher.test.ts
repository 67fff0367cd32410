/**
 * The installed `keyward` command (dist/cli/launch.cjs): it runs the bundled CLI
 * with the V8 code cache the build wrote, still works when that cache is damaged
 * or missing, and falls back to the ES module build when there is no bundle. All
 * three give the same bytes and exit codes as the ES module entry.
 */

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, run } from '../helpers/proc.js';

const KEY = join(REPO, 'examples', 'dev-age-key.txt');
const RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const EXAMPLE = join(REPO, 'examples', 'secrets.enc.yaml');
const env = { env: { SOPS_AGE_KEY_FILE: KEY, SOPS_CONFIG: '/dev/null' } };
// copies live under the repo so that node_modules still resolves from them
const copies = join(REPO, 'node_modules', '.cache', 'keyward-launcher-test');

afterAll(() => rmSync(copies, { recursive: true, force: true }));

/** A copy of the build (dist + package.json), changed by `change`. */
function copyOfBuild(name: string, change: (dist: string) => void): string {
  const root = join(copies, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
  change(join(root, 'dist'));
  return join(root, 'dist', 'cli', 'launch.cjs');
}

const esm = (args: string[]) => run(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), ...args], env);
const launch = (launcher: string, args: string[]) => run(process.execPath, [launcher, ...args], env);

describe('the keyward launcher', () => {
  const installed = join(REPO, 'dist', 'cli', 'launch.cjs');

  it('the build wrote the bundle and its code cache, and the launcher is executable', () => {
    const bundle = readFileSync(join(REPO, 'dist', 'bundle', 'cli.cjs'), 'latin1');
    expect(bundle.length).toBeGreaterThan(10_000);
    // one strict-mode function expression, ASCII only (the launcher reads it as latin1)
    expect(bundle.startsWith('(function (exports, require, module, __filename, __dirname) {"use strict";')).toBe(true);
    expect([...bundle].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
    expect(statSync(join(REPO, 'dist', 'bundle', 'cli.cache')).size).toBeGreaterThan(10_000);
    // the yaml library is a chunk of its own, with its own cache
    expect(statSync(join(REPO, 'dist', 'bundle', 'yaml.cjs')).size).toBeGreaterThan(10_000);
    expect(statSync(join(REPO, 'dist', 'bundle', 'yaml.cache')).size).toBeGreaterThan(10_000);
    expect(bundle).not.toContain('MULTIPLE_DOCS');
    expect(readFileSync(join(REPO, 'dist', 'bundle', 'yaml.cjs'), 'latin1')).toContain('MULTIPLE_DOCS');
    expect(statSync(installed).mode & 0o111).not.toBe(0);
    expect(readFileSync(installed, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  const cases: [string, (dist: string) => void][] = [
    ['with the cache from the build', () => undefined],
    ['with a damaged cache', (dist) => writeFileSync(join(dist, 'bundle', 'cli.cache'), Buffer.alloc(4096, 7))],
    ['without a cache', (dist) => rmSync(join(dist, 'bundle', 'cli.cache'))],
    [
      'with a damaged yaml chunk cache',
      (dist) => writeFileSync(join(dist, 'bundle', 'yaml.cache'), Buffer.alloc(99, 1)),
    ],
    ['without the yaml chunk', (dist) => rmSync(join(dist, 'bundle', 'yaml.cjs'))],
    ['without a bundle (plain tsc build)', (dist) => rmSync(join(dist, 'bundle'), { recursive: true })],
  ];

  // two YAML documents: only the full YAML reader (the yaml chunk) reads them
  const multi = join(copies, 'multi.enc.yaml');
  beforeAll(async () => {
    mkdirSync(copies, { recursive: true });
    writeFileSync(join(copies, 'multi.yaml'), 'a: 1 # one\n---\nb: [2, &x three]\nc: *x\n');
    const encrypted = await esm(['encrypt', '--age', RECIPIENT, join(copies, 'multi.yaml')]);
    writeFileSync(multi, encrypted.stdout);
  });

  it.each(cases)('%s: same output and exit codes as the ES module entry', async (name, change) => {
    const launcher = name.startsWith('with the cache') ? installed : copyOfBuild(name.replace(/\W+/g, '-'), change);
    const runs = [
      ['--version'],
      ['decrypt', EXAMPLE],
      ['decrypt', multi],
      ['decrypt', join(REPO, 'nope.yaml')],
      ['nope'],
    ];
    for (const args of runs) {
      const [ours, reference] = await Promise.all([launch(launcher, args), esm(args)]);
      expect({ args, code: ours.code, stdout: ours.stdout, stderr: ours.stderr }).toEqual({
        args,
        code: reference.code,
        stdout: reference.stdout,
        stderr: reference.stderr,
      });
    }
    expect((await launch(launcher, ['--version'])).stdout).toBe(
      `${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`,
    );
    // a damaged cache is only read, never rewritten at run time
    if (name === 'with a damaged cache') {
      expect(readFileSync(join(launcher, '..', '..', 'bundle', 'cli.cache'))).toEqual(Buffer.alloc(4096, 7));
    }
    if (name === 'with a damaged yaml chunk cache') {
      expect(readFileSync(join(launcher, '..', '..', 'bundle', 'yaml.cache'))).toEqual(Buffer.alloc(99, 1));
    }
    if (name.startsWith('without a bundle')) expect(existsSync(join(launcher, '..', '..', 'bundle'))).toBe(false);
  });
});

describe('a reader that closes the output early', () => {
  /** Runs the CLI, reads its first stdout chunk, closes the pipe; resolves with exit code and stderr. */
  function readOneChunk(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'launch.cjs'), ...args], {
        env: { ...process.env, ...env.env },
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('ends the run quietly with 141 (128 + SIGPIPE), no stack trace', async () => {
    const big = join(copies, 'big');
    mkdirSync(big, { recursive: true });
    const plain = join(big, 'big.yaml');
    writeFileSync(plain, Array.from({ length: 40_000 }, (_, i) => `key${i}: value number ${i}\n`).join(''));
    const enc = await run(
      process.execPath,
      [join(REPO, 'dist', 'cli', 'launch.cjs'), 'encrypt', '--age', RECIPIENT, plain],
      env,
    );
    writeFileSync(join(big, 'big.enc.yaml'), enc.stdout);
    const res = await readOneChunk(['decrypt', join(big, 'big.enc.yaml')]);
    expect(res).toEqual({ code: 141, stderr: '' });
  });

  it('a reader that takes its time still gets every byte (the launcher waits for queued output)', async () => {
    const big = join(copies, 'big');
    const script = `"${process.execPath}" "${join(REPO, 'dist', 'cli', 'launch.cjs')}" decrypt "${join(big, 'big.enc.yaml')}" | (sleep 1; wc -c)`;
    const res = await run('sh', ['-c', script], env);
    const expected = readFileSync(join(big, 'big.yaml')).length;
    expect(res.stdout.trim()).toBe(String(expected));
  });
});
