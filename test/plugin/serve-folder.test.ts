/**
 * `keyward argocd serve` serves only from a folder no other uid can touch: it makes a
 * missing folder with mode 0700 (its parent must exist), accepts a 0700 folder of its
 * own left by an earlier run, and refuses, with one line naming the folder and what is
 * wrong and a non-zero exit, a folder of another mode, of another uid, a symlink (even
 * to a good folder) or a file, without making anything in it. Runs the built CLI.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, keyward, tempDir } from '../helpers/proc.js';

const dir = tempDir();

const pidIn = (folder: string) => (existsSync(join(folder, 'pid')) ? readFileSync(join(folder, 'pid'), 'utf8') : '');

/** Starts `keyward argocd serve --dir folder` and waits until its pid file names it. */
async function started(folder: string): Promise<ChildProcess> {
  const server = spawn(process.execPath, [CLI, 'argocd', 'serve', '--dir', folder], {
    env: { PATH: process.env.PATH, HOME: dir },
    stdio: 'ignore',
  });
  for (let i = 0; pidIn(folder) !== `${server.pid}\n`; i++) {
    if (i > 100 || server.exitCode !== null) throw new Error('keyward argocd serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return server;
}

async function stopped(server: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  return exited;
}

/** A folder of ours with `mode`, made whatever the umask. */
function folderWith(name: string, mode: number): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  chmodSync(folder, mode);
  return folder;
}

describe('keyward argocd serve refuses a server folder that is not a 0700 folder of its own', () => {
  const good = folderWith('good', 0o700);
  const cases: [string, () => string, string][] = [
    ['of mode 0755', () => folderWith('open', 0o755), 'its mode is 0755, not 0700'],
    ['of mode 0770', () => folderWith('group', 0o770), 'its mode is 0770, not 0700'],
    [
      'of another uid, even with mode 0700',
      () => {
        const folder = folderWith('nobody', 0o700);
        chownSync(folder, 65534, 65534);
        return folder;
      },
      `it is owned by uid 65534, not ${process.getuid?.()}`,
    ],
    [
      'that is a symlink to a good folder',
      () => {
        symlinkSync(good, join(dir, 'link'));
        return join(dir, 'link');
      },
      'it is a symlink',
    ],
    ['that is a symlink named with a trailing slash', () => `${join(dir, 'link')}/`, 'it is a symlink'],
    [
      'that is a file',
      () => {
        writeFileSync(join(dir, 'file'), '');
        return join(dir, 'file');
      },
      'it is not a directory',
    ],
  ];

  it.each(cases)('a folder %s', async (_, make, why) => {
    const folder = make();
    const res = await keyward(['argocd', 'serve', '--dir', folder], { clean: true, timeoutMs: 20_000 });
    expect(res.timedOut).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`keyward: argocd: refusing to serve from ${folder.replace(/\/$/, '')}: ${why}\n`);
    expect(readdirSync(good)).toEqual([]);
    if (statSync(folder).isDirectory()) expect(readdirSync(folder)).toEqual([]);
  });

  it('a folder whose parent does not exist is not made, nor its parent', async () => {
    const folder = join(dir, 'missing', 'server');
    const res = await keyward(['argocd', 'serve', '--dir', folder], { clean: true, timeoutMs: 20_000 });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toBe(`keyward: argocd: cannot make the server folder ${folder}: no parent folder\n`);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

describe('keyward argocd serve takes a folder of its own', () => {
  it('makes a missing folder with mode 0700 exactly, also under a setgid parent, and removes its entries on SIGTERM', async () => {
    const parent = folderWith('setgid', 0o2755);
    const folder = join(parent, 'server');
    const server = await started(folder);
    expect(statSync(folder).mode & 0o7777).toBe(0o700);
    expect(statSync(join(folder, 'requests')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(folder, 'requests')).isFIFO()).toBe(true);
    expect(statSync(join(folder, 'pid')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(folder, 'pid'), 'utf8')).toBe(`${server.pid}\n`);
    expect(await stopped(server)).toBe(0);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('accepts a 0700 folder left by an earlier run, stale entries and all', async () => {
    const folder = folderWith('restart', 0o700);
    writeFileSync(join(folder, 'pid'), '1\n');
    execFileSync('mkfifo', ['-m', '600', join(folder, 'requests')]);
    const first = await started(folder);
    // killed: its pid file and FIFO stay behind for the next run
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(readdirSync(folder).sort()).toEqual(['pid', 'requests']);
    const second = await started(folder);
    expect(readFileSync(join(folder, 'pid'), 'utf8')).toBe(`${second.pid}\n`);
    expect(await stopped(second)).toBe(0);
  });
});
