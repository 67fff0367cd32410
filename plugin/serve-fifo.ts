/**
 * A client's reply FIFO `<folder>/reply.<pid>`, opened only when it is what the client
 * makes (`mkfifo -m 600`): a FIFO, not a symlink nor a regular file, owned by the
 * server's uid, without group or other permissions. It is checked by lstat before it
 * is opened, opened with O_NOFOLLOW (a symlink fails with ELOOP) and O_NONBLOCK (a FIFO
 * without a reader fails with ENXIO instead of hanging; a regular file is not truncated),
 * and its descriptor is checked again by fstat, against the lstat's device and inode,
 * before a byte is written. In the server's 0700 folder no other uid can plant or swap
 * an entry; these checks are the second line, against mistakes as much as attacks.
 */

import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { octal, ownUid } from './serve-home.js';

/** The reply FIFO as checked: its path and the identity it must keep until it is opened. */
export interface ReplyFifo {
  path: string;
  dev: number;
  ino: number;
}

/** A reply entry that is not a FIFO of ours: it is neither written nor removed. */
export class RefusedReply extends Error {
  override name = 'RefusedReply';
}

/** What is wrong with a reply entry, from its lstat or fstat; undefined when it is a private FIFO of ours. */
function fifoProblem(st: Stats): string | undefined {
  if (st.isSymbolicLink()) return 'a symlink';
  if (!st.isFIFO()) return st.isFile() ? 'a regular file' : 'not a FIFO';
  if (st.uid !== ownUid()) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o077) !== 0) return `mode ${octal(st.mode)}`;
  return undefined;
}

/** The checked reply FIFO at `path`; undefined when there is none; throws RefusedReply for anything else there. */
export function checkReply(path: string): ReplyFifo | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const why = fifoProblem(st);
  if (why) throw new RefusedReply(why);
  return { path, dev: st.dev, ino: st.ino };
}

/**
 * Opens the checked reply FIFO for writing without blocking. The client opens it for
 * reading right after its request: until then the open fails with ENXIO and is tried
 * again every 10 ms, for 5 s at most and only while `present()` says the client runs.
 */
export async function openReply(fifo: ReplyFifo, present: () => boolean): Promise<Socket> {
  for (let tries = 0; ; tries++) {
    let fd: number;
    try {
      fd = openSync(fifo.path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new RefusedReply('a symlink');
      if (code !== 'ENXIO' || tries >= 500 || !present()) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const st = fstatSync(fd);
    const why = fifoProblem(st) ?? (st.dev !== fifo.dev || st.ino !== fifo.ino ? 'replaced' : undefined);
    if (why) {
      closeSync(fd);
      throw new RefusedReply(why);
    }
    return new Socket({ fd, readable: false, writable: true });
  }
}

/** Removes the reply FIFO if it is still the one that was checked; anything else there is left alone. */
export function removeReply(fifo: ReplyFifo): void {
  try {
    const st = lstatSync(fifo.path);
    if (fifoProblem(st) === undefined && st.dev === fifo.dev && st.ino === fifo.ino) unlinkSync(fifo.path);
  } catch {
    // already gone
  }
}
