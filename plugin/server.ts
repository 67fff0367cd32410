/**
 * `keyward argocd serve`: keyward resident in the plugin sidecar, so a generate does
 * not pay for starting Node.js. cmp-server runs `keyward-cmp` (plugin/keyward-cmp, a
 * POSIX shell script) for each app. The client makes a FIFO `reply.<pid>` in the
 * server's folder (0700) and writes its pid to the server's `requests` FIFO (0600).
 * The server takes the client's environment, folder and arguments from /proc/<pid>
 * (only processes of its own user are answered) and writes the reply into the FIFO:
 * the exit code on the first line, stderr on the second (without its last newline;
 * backslashes and newlines escaped, for `printf %b`), then stdout. Two forks (mkfifo,
 * cat) per request: a generate costs milliseconds, not a Node.js start. When the
 * request cannot be read, the reply is `fallback` and the client runs `keyward argocd
 * generate` itself.
 */

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  constants,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface GenerateRequest {
  dir: string;
  env: Record<string, string>;
  args: string[];
}

export interface GenerateReply {
  code: number;
  stdout: string;
  stderr: string;
}

/** The NUL-separated environment of a request. */
export function parseEnv(body: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of body.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The client `pid`'s request, read from /proc; throws unless it is a process of this user. */
function readRequest(pid: string): GenerateRequest {
  const proc = `/proc/${pid}`;
  if (statSync(proc).uid !== process.getuid?.()) throw new Error('not a process of this user');
  const argv = readFileSync(`${proc}/cmdline`, 'utf8').split('\0').slice(0, -1);
  return {
    dir: readlinkSync(`${proc}/cwd`),
    env: parseEnv(readFileSync(`${proc}/environ`, 'utf8')),
    // sh /…/keyward-cmp [args]: the script's arguments
    args: argv.slice(2),
  };
}

/** The reply as the client reads it: code, stderr on one line (escaped for `printf %b`), then stdout. */
export const encodeReply = (r: GenerateReply): string =>
  `${r.code}\n${r.stderr.replace(/\n$/, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n${r.stdout}`;

/**
 * Opens the client's reply FIFO for writing without blocking: the client opens it for
 * reading right after its request; a client that never does is given up after 5 s.
 */
async function openReply(path: string): Promise<Socket> {
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return new Socket({ fd, readable: false, writable: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || tries >= 500) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function answer(home: string, pid: string, handle: (req: GenerateRequest) => Promise<GenerateReply>) {
  const replyFifo = join(home, `reply.${pid}`);
  // only a client that made its reply FIFO is answered
  if (!existsSync(replyFifo)) return;
  let text = 'fallback\n';
  try {
    text = encodeReply(await handle(readRequest(pid)));
  } catch (err) {
    // an unreadable request: the client runs keyward itself
    const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.name) : 'error';
    process.stderr.write(`keyward: argocd: request of process ${pid} handed back (${why})\n`);
  }
  try {
    const out = await openReply(replyFifo);
    out.on('error', () => undefined);
    out.end(text);
    await once(out, 'close');
  } finally {
    rmSync(replyFifo, { force: true });
  }
}

export interface Server {
  close(): void;
}

/** Serves generate requests from `<home>/requests` (0600, in a 0700 folder) until closed. */
export function serve(home: string, handle: (req: GenerateRequest) => Promise<GenerateReply>): Server {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const fifo = join(home, 'requests');
  rmSync(fifo, { force: true });
  // Node.js has no mkfifo: the coreutils one, mode 0600 from the start
  if (spawnSync('mkfifo', ['-m', '600', fifo]).status !== 0) throw new Error(`argocd: cannot make the FIFO ${fifo}`);
  // read-write, so the FIFO never reports end of file between clients
  const fd = openSync(fifo, 'r+');
  const stream = createReadStream('', { fd });
  const lines = createInterface({ input: stream });
  lines.on('line', (pid) => {
    if (/^\d+$/.test(pid)) void answer(home, pid, handle).catch(() => undefined);
  });
  // the pid file comes last: clients (and tests) take it as the sign that the server is ready
  writeFileSync(join(home, 'pid'), `${process.pid}\n`);
  return {
    close: () => {
      lines.close();
      // a read of the FIFO is pending on a worker thread: a newline ends it, so the stream can close
      writeSync(fd, '\n');
      stream.destroy();
      rmSync(fifo, { force: true });
      rmSync(join(home, 'pid'), { force: true });
    },
  };
}
