/**
 * keyward-cmp hands its app (and with it its environment) only to a server whose
 * folder, `requests` FIFO and pid file are its own user's and none of them a symlink;
 * otherwise it runs keyward itself. Each case changes the folder of a live server
 * (plugin/server.ts in this process, answering `served`) just enough that a client
 * without that one check would be served: a `fallback …` line from the stub `keyward`
 * on PATH shows that it ran keyward itself. Run with dash, the sh of Debian and of
 * Argo CD's images.
 */

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Server, serve } from '../../plugin/server.js';
import { REPO, run, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const home = join(dir, 'server');
const bin = join(dir, 'bin');
const requests = join(home, 'requests');
const pidFile = join(home, 'pid');
const uid = process.getuid?.() ?? 0;
let server: Server;

/** Runs keyward-cmp with the server folder `folder`; a client that hangs is killed after 10 s. */
const cmp = (folder: string, shell = 'dash') =>
  run(shell, [join(REPO, 'plugin', 'keyward-cmp'), '--strict'], {
    clean: true,
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, KEYWARD_SERVER: folder },
    timeoutMs: 10_000,
  });

/** Swaps `path` for something else for one case, and back. */
function swapped(path: string, make: () => void): () => void {
  return () => {
    renameSync(path, `${path}.real`);
    make();
  };
}
const restore = (path: string) => () => {
  rmSync(path, { force: true });
  renameSync(`${path}.real`, path);
};

beforeAll(() => {
  mkdirSync(bin);
  writeFileSync(join(bin, 'keyward'), '#!/bin/sh\necho "fallback $*"\n');
  chmodSync(join(bin, 'keyward'), 0o755);
  server = serve(home, async (req) => ({ code: 0, stdout: `served ${req.args.join(' ')}\n`, stderr: '' }));
  symlinkSync(home, join(dir, 'link'));
});

afterAll(() => server.close());

describe('keyward-cmp checks the server folder before handing it the app', () => {
  it('is served by a server of its own user, with dash and with sh', async () => {
    expect(await cmp(home)).toMatchObject({ code: 0, stdout: 'served --strict\n', stderr: '' });
    expect(await cmp(`${home}/`, 'sh')).toMatchObject({ code: 0, stdout: 'served --strict\n', stderr: '' });
  });

  const cases: [string, string, () => void, () => void][] = [
    ['the folder is a symlink to a good one', join(dir, 'link'), () => undefined, () => undefined],
    ['the folder is a symlink, named with a trailing slash', `${join(dir, 'link')}/`, () => undefined, () => undefined],
    ['the folder is owned by another uid', home, () => chownSync(home, 65534, 65534), () => chownSync(home, uid, uid)],
    [
      'requests is owned by another uid',
      home,
      () => lchownSync(requests, 65534, 65534),
      () => lchownSync(requests, uid, uid),
    ],
    [
      'requests is a symlink to the FIFO',
      home,
      swapped(requests, () => symlinkSync(`${requests}.real`, requests)),
      restore(requests),
    ],
    ['requests is a regular file', home, swapped(requests, () => writeFileSync(requests, '')), restore(requests)],
    [
      'the pid file is owned by another uid',
      home,
      () => lchownSync(pidFile, 65534, 65534),
      () => lchownSync(pidFile, uid, uid),
    ],
    [
      'the pid file is a symlink',
      home,
      swapped(pidFile, () => symlinkSync(`${pidFile}.real`, pidFile)),
      restore(pidFile),
    ],
    [
      'the pid file is a FIFO',
      home,
      swapped(pidFile, () => execFileSync('mkfifo', ['-m', '600', pidFile])),
      restore(pidFile),
    ],
  ];

  it.each(cases)('runs keyward itself when %s', async (_, folder, change, undo) => {
    change();
    try {
      const res = await cmp(folder);
      expect(res).toMatchObject({
        code: 0,
        stdout: 'fallback argocd generate --strict\n',
        stderr: '',
        timedOut: false,
      });
    } finally {
      undo();
    }
    expect(readdirSync(home).sort()).toEqual(['pid', 'requests']);
    expect(await cmp(home)).toMatchObject({ code: 0, stdout: 'served --strict\n' });
  });

  it('runs keyward itself, writing through nothing, when something is already at its reply FIFO', async () => {
    // `exec` keeps the pid: the wrapper plants reply.$$ for the client it becomes
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'untouched\n');
    const plant = `ln -s "$TARGET" "$KEYWARD_SERVER/reply.$$" && exec dash ${join(REPO, 'plugin', 'keyward-cmp')} --strict`;
    const res = await run('dash', ['-c', plant], {
      clean: true,
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, KEYWARD_SERVER: home, TARGET: target },
      timeoutMs: 10_000,
    });
    expect(res).toMatchObject({ code: 0, stdout: 'fallback argocd generate --strict\n', stderr: '' });
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    const planted = readdirSync(home).filter((name) => name.startsWith('reply.'));
    expect(planted).toHaveLength(1);
    for (const name of planted) rmSync(join(home, name));
  });
});
