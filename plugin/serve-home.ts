/**
 * The folder of `keyward argocd serve` and its requests FIFO, checked before anything
 * is served. Clients hand their pid to whoever reads `<folder>/requests` and let that
 * reader take their environment (tokens, secret ids) from /proc, so the folder must be
 * one no other uid can create, rename or remove entries in: a directory of ours, mode
 * 0700, never a symlink. A missing folder is made here (0700); its parent must exist,
 * as /tmp does: nothing is made along the way whose owner and mode we do not choose.
 */

import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/index.js';

/** The server's uid: every entry it trusts must be owned by it (-1 where there are no uids: nothing is). */
export const ownUid = (): number => process.getuid?.() ?? -1;

export const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

const errCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/** What is wrong with the server folder, from its lstat; undefined when it is a 0700 directory of ours. */
export function homeProblem(st: Stats): string | undefined {
  if (st.isSymbolicLink()) return 'it is a symlink';
  if (!st.isDirectory()) return 'it is not a directory';
  if (st.uid !== ownUid()) return `it is owned by uid ${st.uid}, not ${ownUid()}`;
  if ((st.mode & 0o7777) !== 0o700) return `its mode is ${octal(st.mode)}, not 0700`;
  return undefined;
}

/**
 * Makes the server folder when it is missing, then checks it (lstat: a symlink is
 * never followed). A folder left by an earlier run of ours (0700) is accepted.
 * Returns the folder without trailing slashes: `dir/` would make lstat follow a symlink.
 */
export function prepareHome(home: string): string {
  const folder = home.replace(/(.)\/+$/, '$1');
  try {
    mkdirSync(folder, { mode: 0o700 });
    // made just now: the umask or a setgid parent may have changed the mode; set it exactly,
    // through a descriptor that cannot be a symlink's target
    const fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      if (fstatSync(fd).uid === ownUid()) fchmodSync(fd, 0o700);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') throw new ConfigError(`argocd: cannot make the server folder ${folder}: no parent folder`);
    // EEXIST: an earlier run's folder, or someone else's; either way the checks below decide
    if (code !== 'EEXIST') throw new ConfigError(`argocd: cannot make the server folder ${folder} (${code})`);
  }
  let st: Stats;
  try {
    st = lstatSync(folder);
  } catch (err) {
    throw new ConfigError(`argocd: cannot read the server folder ${folder} (${errCode(err)})`);
  }
  const why = homeProblem(st);
  if (why) throw new ConfigError(`argocd: refusing to serve from ${folder}: ${why}`);
  return folder;
}

/**
 * Makes `<folder>/requests` anew (mode 0600 from the start) and opens it read-write,
 * so it never reports end of file between clients. O_NOFOLLOW and an fstat of the
 * open descriptor: what is read is the FIFO we made, whatever happened to the name.
 */
export function openRequests(folder: string): number {
  const fifo = join(folder, 'requests');
  let fd: number;
  try {
    rmSync(fifo, { force: true });
    // Node.js has no mkfifo: the coreutils one
    if (spawnSync('mkfifo', ['-m', '600', fifo]).status !== 0) throw new ConfigError(`argocd: cannot make ${fifo}`);
    fd = openSync(fifo, constants.O_RDWR | constants.O_NOFOLLOW);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`argocd: cannot make the FIFO ${fifo} (${errCode(err)})`);
  }
  const st = fstatSync(fd);
  if (!st.isFIFO() || st.uid !== ownUid() || (st.mode & 0o077) !== 0) {
    closeSync(fd);
    throw new ConfigError(`argocd: refusing to serve: ${fifo} is not a 0600 FIFO of uid ${ownUid()}`);
  }
  return fd;
}
