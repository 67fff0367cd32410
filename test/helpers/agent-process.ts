/**
 * Running the built `keyward agent` (dist/cli/launch.cjs, as the image runs it) as a
 * real process for the sidecar tests: its config in KEYWARD_AGENT_CONFIG, its HTTP
 * endpoints on a free loopback port, its stderr kept for checks, and its exit with
 * code, signal and how long it took after a stop. `waitFor` polls a condition.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '../../sidecar/contract.js';
import { freePort } from '../rig/servers.js';
import { CLI, REPO } from './proc.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from `stop` to the exit (or from the start, without a stop). */
  ms: number;
}

export interface AgentProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` of /readyz, /healthz and /metrics. */
  url: string;
  /** Milliseconds since the spawn. */
  started: number;
  stderr(): string;
  exited: Promise<Exit>;
  /** GET a path: status and body (status 0 when nothing answers). */
  get(path: string): Promise<{ status: number; body: string }>;
  /** The sum of a metric's series whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Polls `check` every 25 ms until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startAgent(config: AgentConfig, args: readonly string[] = []): Promise<AgentProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  let stoppedAt = started;
  const child = spawn(process.execPath, [CLI, 'agent', '--listen', `127.0.0.1:${port}`, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, KEYWARD_AGENT_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const err: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - stoppedAt })),
  );
  const get = async (path: string) => {
    try {
      const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_000) });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: '' };
    }
  };
  return {
    child,
    url,
    started,
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
    get,
    async metric(name, labels = {}) {
      const { body } = await get('/metrics');
      let sum = 0;
      for (const line of body.split('\n')) {
        const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const text = m[2] ?? '';
        if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) sum += Number(m[3]);
      }
      return sum;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        stoppedAt = performance.now();
        child.kill(signal);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
}
