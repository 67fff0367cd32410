/**
 * The server writes a reply only into a private FIFO of its own uid: a `reply.<pid>`
 * that is a symlink (to a regular file or to a FIFO), a regular file, a FIFO others may
 * read or a FIFO of another uid is never written through nor removed, the handler never
 * runs, and the server logs one line. The requests are made as keyward-cmp makes them
 * (the pid of a live process of ours written into `requests`), the entries by the test.
 * An entry swapped between the check and the open (the fstat of the open descriptor
 * against the lstat) is tested on openReply itself.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  lchownSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkReply, openReply, RefusedReply, removeReply } from '../../plugin/serve-fifo.js';
import { type Server, serve } from '../../plugin/server.js';
import { tempDir } from '../helpers/proc.js';

const dir = tempDir();
const home = join(dir, 'server');
const target = join(dir, 'target.txt');
const mkfifo = (path: string, mode = '600') => execFileSync('mkfifo', ['-m', mode, path]);
let handled = 0;
let server: Server;
let sleeper: ChildProcess;

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = performance.now() + ms; !ok(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (performance.now() > end) throw new Error(`not within ${ms} ms`);
  }
}

beforeAll(() => {
  server = serve(home, async () => {
    handled++;
    return { code: 0, stdout: 'WRITTEN\n', stderr: '' };
  });
  // a live process of ours whose pid the fake requests name
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
});

afterAll(() => {
  sleeper.kill('SIGKILL');
  server.close();
});

describe('reply entries that are not a private FIFO of ours', () => {
  const cases: [string, (entry: string) => void, string][] = [
    ['a symlink to a regular file', (entry) => symlinkSync(target, entry), 'a symlink'],
    ['a regular file', (entry) => writeFileSync(entry, 'untouched\n'), 'a regular file'],
    [
      'a symlink to a FIFO of ours',
      (entry) => {
        mkfifo(join(dir, 'elsewhere'));
        symlinkSync(join(dir, 'elsewhere'), entry);
      },
      'a symlink',
    ],
    ['a FIFO others may read', (entry) => mkfifo(entry, '644'), 'mode 0644'],
    [
      'a FIFO of another uid',
      (entry) => {
        mkfifo(entry);
        lchownSync(entry, 65534, 65534);
      },
      'owned by uid 65534',
    ],
  ];

  it.each(cases)('%s is neither written through nor removed, and nothing is handled', async (_, make, why) => {
    writeFileSync(target, 'untouched\n');
    const pid = String(sleeper.pid);
    const entry = join(home, `reply.${pid}`);
    make(entry);
    const before = lstatSync(entry);
    const log = vi.spyOn(process.stderr, 'write');
    try {
      // as keyward-cmp does: `printf '%s\n' "$$" 1<>"$server/requests"`
      writeFileSync(join(home, 'requests'), `${pid}\n`, { flag: 'r+' });
      const line = `keyward: argocd: request of process ${pid} not answered: its reply FIFO is ${why}\n`;
      await until(() => log.mock.calls.some((call) => call[0] === line));
    } finally {
      log.mockRestore();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handled).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    const after = lstatSync(entry);
    expect([after.ino, after.mode, after.uid]).toEqual([before.ino, before.mode, before.uid]);
    if (after.isFile()) expect(readFileSync(entry, 'utf8')).toBe('untouched\n');
    rmSync(entry);
  });
});

describe('a reply FIFO swapped after its check', () => {
  const entry = join(dir, 'reply.swapped');
  const present = () => true;

  it('for another FIFO (a reader waiting on it) is refused by the fstat, and left in place', async () => {
    mkfifo(entry);
    const checked = checkReply(entry);
    expect(checked).toBeDefined();
    if (!checked) return;
    renameSync(entry, `${entry}.old`);
    mkfifo(entry);
    const reader = openSync(entry, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await expect(openReply(checked, present)).rejects.toEqual(new RefusedReply('replaced'));
      removeReply(checked);
      expect(lstatSync(entry).isFIFO()).toBe(true);
    } finally {
      closeSync(reader);
    }
    rmSync(entry);
    rmSync(`${entry}.old`);
  });

  it.each([
    ['a symlink to a regular file', () => symlinkSync(target, entry), 'a symlink'],
    ['a regular file', () => writeFileSync(entry, 'untouched\n'), 'a regular file'],
  ])('for %s is not written (the file keeps its content) and not removed', async (_, swap, why) => {
    writeFileSync(target, 'untouched\n');
    mkfifo(entry);
    const checked = checkReply(entry);
    if (!checked) throw new Error('no FIFO');
    rmSync(entry);
    swap();
    await expect(openReply(checked, present)).rejects.toEqual(new RefusedReply(why));
    removeReply(checked);
    expect(existsSync(entry)).toBe(true);
    expect(readFileSync(entry, 'utf8')).toBe('untouched\n');
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    rmSync(entry);
  });

  it('is not found when missing, and refused by checkReply when it is no FIFO of ours', () => {
    expect(checkReply(join(dir, 'reply.none'))).toBeUndefined();
    symlinkSync(target, entry);
    expect(() => checkReply(entry)).toThrow(new RefusedReply('a symlink'));
    rmSync(entry);
  });
});
