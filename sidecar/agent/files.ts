/**
 * The files the agent writes. Rendered secrets go into the secrets folder
 * atomically — a private temp file in the same folder gets the content and the
 * requested mode, then replaces the old file by rename — so an app never reads half
 * a file; a file whose content and mode are already right is left alone (same inode,
 * same mtime). `installLauncher` puts the env-mode launcher and the node binary it
 * runs on into a folder, for the copy init container (no shell needed).
 */

import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync as chmod,
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError } from '../../src/index.js';
import { isSafeRelative } from '../contract.js';

/** What writing one file did: `written` replaced an older content, `created` made it. */
export type WriteOutcome = 'created' | 'written' | 'mode' | 'unchanged';

const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/** Writes `data` to `path` through a temp file beside it: mode set before the rename. */
function replaceAtomically(path: string, data: Uint8Array, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, data);
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export class SecretFiles {
  /** What this agent last wrote, by path: the content's digest and the file's inode. */
  private readonly written = new Map<string, { hash: string; ino: number }>();

  constructor(private readonly dir: string) {}

  /** Writes one rendered secret if its content or mode changed. */
  write(file: string, content: string, mode: number): WriteOutcome {
    if (!isSafeRelative(file)) throw new IoError(`agent: ${file} is outside the secrets folder`);
    const path = join(this.dir, file);
    const bytes = Buffer.from(content, 'utf8');
    let stats: Stats | undefined;
    try {
      stats = lstatSync(path);
    } catch {
      stats = undefined;
    }
    try {
      if (stats?.isFile() && this.same(path, bytes, stats)) {
        if ((stats.mode & 0o777) === mode) return 'unchanged';
        chmod(path, mode);
        return 'mode';
      }
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      replaceAtomically(path, bytes, mode);
      this.written.set(path, { hash: digest(bytes), ino: lstatSync(path).ino });
    } catch (err) {
      throw new IoError(`agent: cannot write ${path} (${errno(err)})`);
    }
    return stats ? 'written' : 'created';
  }

  /** Whether the file holds `bytes`: read back, or (a mode its owner cannot read) as this agent wrote it. */
  private same(path: string, bytes: Uint8Array, stats: Stats): boolean {
    try {
      return readFileSync(path).equals(bytes);
    } catch {
      const record = this.written.get(path);
      return record !== undefined && record.ino === stats.ino && record.hash === digest(bytes);
    }
  }
}

/** The launcher bundle (dist/bundle/launch.cjs) beside this code, in the bundled CLI or the tsc build. */
function launcherBundle(): string {
  const candidates = [new URL('launch.cjs', import.meta.url), new URL('../../bundle/launch.cjs', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new IoError('agent: the launcher bundle (dist/bundle/launch.cjs) is missing; run npm run build');
}

/** Copies node (`<dir>/node`, 0755) and the launcher (`<dir>/keyward-launch.cjs`, 0644) into `dir`. */
export function installLauncher(dir: string, node = process.execPath): string[] {
  const copies: [string, string, number][] = [
    [node, 'node', 0o755],
    [launcherBundle(), 'keyward-launch.cjs', 0o644],
  ];
  const done: string[] = [];
  for (const [from, name, mode] of copies) {
    const to = join(dir, name);
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    try {
      mkdirSync(dir, { recursive: true });
      copyFileSync(from, temp);
      chmod(temp, mode);
      renameSync(temp, to);
    } catch (err) {
      rmSync(temp, { force: true });
      throw new IoError(`agent: cannot copy ${from} to ${to} (${errno(err)})`);
    }
    done.push(to);
  }
  return done;
}
