/**
 * `keyward argocd serve`: keyward resident in the plugin sidecar, so a generate does
 * not pay for starting Node.js. cmp-server runs `keyward-cmp` (plugin/keyward-cmp, a
 * POSIX shell script) for each app. The client makes a FIFO `reply.<pid>` in the
 * server's folder (0700, made and checked by serve-home.ts) and writes its pid to the
 * server's `requests` FIFO (0600). The server takes the client's environment, folder
 * and arguments from /proc/<pid> (only processes of its own user are answered) and
 * writes the reply into the FIFO (checked by serve-fifo.ts): the exit code on the first
 * line, stderr on the second (without its last newline; backslashes and newlines
 * escaped, for `printf %b`), then stdout. Two forks (mkfifo, cat) per request: a
 * generate costs milliseconds, not a Node.js start. When the request cannot be read,
 * the reply is `fallback` and the client runs `keyward argocd generate` itself. While a
 * request is handled its client is watched (serve-client.ts): when it goes away, the
 * handler's signal is aborted and nothing is written.
 */

import { once } from 'node:events';
import { closeSync, constants, createReadStream, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type GenerateRequest, readRequest, running, startTime, watchClient } from './serve-client.js';
import { checkReply, openReply, RefusedReply, type ReplyFifo, removeReply } from './serve-fifo.js';
import { openRequests, prepareHome } from './serve-home.js';

export { type GenerateRequest, parseEnv } from './serve-client.js';

export interface GenerateReply {
  code: number;
  stdout: string;
  stderr: string;
}

/** Handles one request; `signal` is aborted when its client has gone (or the server closes): the work is abandoned. */
export type Handler = (req: GenerateRequest, signal: AbortSignal) => Promise<GenerateReply>;

/** The reply as the client reads it: code, stderr on one line (escaped for `printf %b`), then stdout. */
export const encodeReply = (r: GenerateReply): string =>
  `${r.code}\n${r.stderr.replace(/\n$/, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n${r.stdout}`;

/** One line on the server's stderr: the pid and why, never anything of the request. */
const note = (pid: string, what: string) =>
  process.stderr.write(`keyward: argocd: request of process ${pid} ${what}\n`);

/** An error's code or class, never its message: a handler's message may quote the request. */
const why = (err: unknown): string =>
  err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.name) : 'error';

/**
 * The encoded reply to the client `pid` (started at `start`), or undefined when the
 * client went away first. `signal` is aborted then, and the handler is left to settle
 * on its own: whatever it returns is dropped.
 */
async function reply(
  pid: string,
  start: string,
  handle: Handler,
  aborter: AbortController,
): Promise<string | undefined> {
  const { signal } = aborter;
  const gone = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
  const stop = watchClient(pid, start, () => aborter.abort(new Error('the client went away')));
  const handled = (async () => {
    const req = readRequest(pid);
    // the pid was reused while its request was read: that is not our client's
    if (!running(pid, start)) throw new Error('the client went away');
    return encodeReply(await handle(req, signal));
  })().catch((err: unknown) => {
    if (signal.aborted) return undefined;
    // an unreadable request: the client runs keyward itself
    note(pid, `handed back (${why(err)})`);
    return 'fallback\n';
  });
  try {
    return await Promise.race([handled, gone]);
  } finally {
    stop();
  }
}

async function answer(home: string, pid: string, handle: Handler, inFlight: Set<AbortController>): Promise<void> {
  let fifo: ReplyFifo | undefined;
  try {
    fifo = checkReply(join(home, `reply.${pid}`));
  } catch (err) {
    note(pid, `not answered: its reply FIFO is ${err instanceof RefusedReply ? err.message : why(err)}`);
    return;
  }
  // only a client that made its reply FIFO is answered, and only while it runs
  const start = startTime(pid);
  if (!fifo || start === undefined) {
    if (fifo) removeReply(fifo);
    return;
  }
  const aborter = new AbortController();
  inFlight.add(aborter);
  let text: string | undefined;
  try {
    text = await reply(pid, start, handle, aborter);
  } finally {
    inFlight.delete(aborter);
  }
  if (text === undefined) {
    note(pid, `abandoned: ${(aborter.signal.reason as Error).message}`);
    removeReply(fifo);
    return;
  }
  try {
    const out = await openReply(fifo, () => running(pid, start));
    out.on('error', () => undefined);
    out.end(text);
    await once(out, 'close');
  } catch (err) {
    if (err instanceof RefusedReply) note(pid, `not answered: its reply FIFO is ${err.message}`);
  } finally {
    removeReply(fifo);
  }
}

export interface Server {
  close(): void;
}

/**
 * Serves generate requests from `<home>/requests` until closed. Throws a ConfigError,
 * before anything is served, when `home` is not (or cannot be made) a 0700 folder of ours.
 */
export function serve(home: string, handle: Handler): Server {
  const folder = prepareHome(home);
  const fd = openRequests(folder);
  const inFlight = new Set<AbortController>();
  const stream = createReadStream('', { fd });
  const lines = createInterface({ input: stream });
  lines.on('line', (pid) => {
    if (/^\d+$/.test(pid)) void answer(folder, pid, handle, inFlight).catch(() => undefined);
  });
  // the pid file comes last: clients (and tests) take it as the sign that the server is ready.
  // Made anew and exclusively (O_EXCL never follows a symlink), readable by us only.
  const pidFile = join(folder, 'pid');
  rmSync(pidFile, { force: true });
  const pidFd = openSync(
    pidFile,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(pidFd, `${process.pid}\n`);
  } finally {
    closeSync(pidFd);
  }
  return {
    close: () => {
      for (const aborter of inFlight) aborter.abort(new Error('the server is closing'));
      lines.close();
      // a read of the FIFO is pending on a worker thread: a newline ends it, so the stream can close
      writeSync(fd, '\n');
      stream.destroy();
      rmSync(join(folder, 'requests'), { force: true });
      rmSync(pidFile, { force: true });
    },
  };
}
