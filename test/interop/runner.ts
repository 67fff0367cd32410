/**
 * How the property interop tests run the two tools: a bounded-concurrency
 * limiter, the real sops (a few at a time), and keyward either spawned as the
 * CLI or through long-lived worker processes that call the built CLI's own
 * `run(argv)` (dist/cli/program.js) with stdout and stderr captured.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keyward, type Ran, REPO, run } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const SOPS_PARALLEL = 3;
const KEY_FILE = join(REPO, 'examples', 'dev-age-key.txt');
export const RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const ENV = { SOPS_CONFIG: '/dev/null', SOPS_DISABLE_VERSION_CHECK: '1', SOPS_AGE_KEY_FILE: KEY_FILE };

// ---------------------------------------------------------------------------
// Bounded concurrency

export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const sopsSlot = limiter(SOPS_PARALLEL);
const cliSlot = limiter(1);

export function sops(args: readonly string[]): Promise<Ran> {
  return sopsSlot(() => run(toolPath('sops'), args, { env: ENV, clean: true }));
}

// ---------------------------------------------------------------------------
// In-process keyward workers

const WORKER_SOURCE = `
const { run } = await import(process.env.KEYWARD_PROGRAM_URL);
let chain = Promise.resolve();
const capture = (sink) => function (chunk, encoding, callback) {
  const cb = typeof encoding === 'function' ? encoding : callback;
  sink.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
  if (cb) process.nextTick(cb);
  return true;
};
process.on('message', (msg) => {
  chain = chain.then(async () => {
    const out = [];
    const err = [];
    const realOut = process.stdout.write;
    const realErr = process.stderr.write;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    let code;
    try {
      code = await run(msg.argv);
    } catch (e) {
      code = -2;
      err.push(Buffer.from(String(e && e.stack ? e.stack : e)));
    } finally {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
    }
    process.exitCode = undefined;
    process.send({ id: msg.id, code, stdout: Buffer.concat(out).toString('base64'), stderr: Buffer.concat(err).toString('utf8') });
  });
});
process.send({ ready: true });
`;

interface Reply {
  id: number;
  code: number;
  stdout: string;
  stderr: string;
}

function isReply(m: unknown): m is Reply {
  return typeof m === 'object' && m !== null && 'id' in m && 'code' in m && 'stdout' in m && 'stderr' in m;
}

class Worker {
  readonly pending = new Map<number, (r: Ran) => void>();
  private readonly child: ChildProcess;
  readonly ready: Promise<void>;

  constructor(script: string) {
    this.child = fork(script, [], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...ENV, KEYWARD_PROGRAM_URL: programUrl() },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('message', () => resolve());
      this.child.once('error', reject);
    });
    this.child.on('message', (m: unknown) => {
      if (!isReply(m)) return;
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      const stdoutBytes = Buffer.from(m.stdout, 'base64');
      done?.({
        code: m.code,
        stdout: stdoutBytes.toString('utf8'),
        stderr: m.stderr,
        stdoutBytes,
        ms: 0,
        timedOut: false,
      });
    });
    this.child.on('exit', (code) => {
      for (const done of this.pending.values())
        done({
          code: -3,
          stdout: '',
          stderr: `keyward worker exited (${code})`,
          stdoutBytes: Buffer.alloc(0),
          ms: 0,
          timedOut: false,
        });
      this.pending.clear();
    });
  }

  run(id: number, argv: readonly string[]): Promise<Ran> {
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, argv });
    });
  }

  stop(): void {
    this.child.kill();
  }
}

function programUrl(): string {
  return pathToFileURL(join(REPO, 'dist', 'cli', 'program.js')).href;
}

/** Writes the worker script to `script` and starts `count` workers; resolves once all are ready. */
export async function startWorkers(script: string, count: number): Promise<void> {
  writeFileSync(script, WORKER_SOURCE);
  workers = Array.from({ length: count }, () => new Worker(script));
  await Promise.all(workers.map((w) => w.ready));
}

export function stopWorkers(): void {
  for (const w of workers) w.stop();
}

let workers: Worker[] = [];
let nextId = 0;

export function kwInProcess(argv: readonly string[]): Promise<Ran> {
  const worker = workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  return worker.run(nextId++, argv);
}

export function kwSpawned(argv: readonly string[]): Promise<Ran> {
  return cliSlot(() => keyward(argv, { env: ENV, clean: true }));
}

export type Kw = (argv: readonly string[]) => Promise<Ran>;
