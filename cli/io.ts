/**
 * File input and output for CLI commands: reading a file or stdin with sops's
 * error codes, and writing results atomically (temp file in the same folder,
 * then rename) so an interrupted write never leaves a partial or lost file.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IoError, KeywardError } from '../src/index.js';

export async function readInput(path: string | undefined): Promise<Uint8Array> {
  if (path === undefined || path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    // a synchronous read: fs/promises would load a dozen more Node.js modules at start-up
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeywardError('no-file', `${path}: file does not exist`, { cause: err });
    throw new IoError(`${path}: cannot read file (${code ?? 'error'})`, { cause: err });
  }
}

/** Writes `data` to `path` through a temp file and rename, keeping the old file's mode. */
export async function writeAtomic(path: string, data: Uint8Array | string, defaultMode = 0o600): Promise<void> {
  const { chmod, open, rename, stat, unlink } = process.getBuiltinModule('node:fs/promises');
  let mode = defaultMode;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch {
    // a new file gets the default mode
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    throw new KeywardError('output', `${path}: cannot write file (${code ?? 'error'})`, { cause: err });
  }
}

/** Writes command output to a file (atomically) or to stdout. */
export async function writeOutput(path: string | undefined, data: Uint8Array | string): Promise<void> {
  if (path === undefined || path === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
    return;
  }
  await writeAtomic(path, data);
}
