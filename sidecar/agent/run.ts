/**
 * The agent's two ways to run. `--init` renders once and exits 0, retrying with
 * backoff until --init-timeout has passed (then exit 1). The sidecar serves
 * /readyz, /healthz and /metrics, renders at once and again every `interval`
 * seconds, or sooner when a lease or TTL read in the last render is due (a lease is
 * renewed, not read anew, while Vault allows). A failed render keeps the last good
 * files and is retried with exponential backoff and jitter (never later than the
 * interval), so the agent recovers when the backend comes back. SIGTERM and SIGINT end it with 0 at once,
 * also in the middle of a read (files are replaced by rename, never left half written).
 */

import type { Server } from 'node:http';
import { asKeywardError, type HttpFetch } from '../../src/index.js';
import type { AgentConfig } from '../contract.js';
import { Agent, type AgentLog, type RenderReport } from './agent.js';
import { serve } from './server.js';

export interface RunOptions {
  config: AgentConfig;
  fetch: HttpFetch;
  log: AgentLog;
  /** Render once and exit. */
  init: boolean;
  /** Seconds --init keeps trying. */
  initTimeout: number;
  /** `host:port` of the HTTP endpoints (sidecar mode). */
  listen: string;
}

/** The first retry waits about this long; each failure doubles it. */
const BACKOFF_BASE_S = 0.5;

/** A failure's message on one line. */
const oneLine = (err: unknown): string =>
  asKeywardError(err)
    .message.split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');

/** Seconds to wait after `failures` failures in a row: exponential, capped, with jitter (50–100 %). */
export function backoff(failures: number, cap: number): number {
  const full = Math.min(cap, BACKOFF_BASE_S * 2 ** Math.max(0, failures - 1));
  return full * (0.5 + Math.random() * 0.5);
}

const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function describe(report: RenderReport, first: boolean, secrets: number): string {
  const what = first ? `rendered ${count(secrets, 'secret')}` : 're-rendered';
  const written =
    report.written.length > 0
      ? `${count(report.written.length, 'file')} written (${report.written.join(', ')})`
      : 'every file already up to date';
  const changed = report.changed.length > 0 ? `, changed: ${report.changed.join(', ')}` : '';
  return `${what}: ${written}${changed}, ${count(report.reads, 'read')}, ${Math.round(report.ms)} ms`;
}

/** Exits at once on SIGTERM / SIGINT; a pod stopping must not wait for a read. */
function stopOnSignals(log: AgentLog, server?: Server): void {
  const stop = (signal: NodeJS.Signals) => () => {
    log.event(`stopping (${signal})`);
    server?.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('SIGINT', stop('SIGINT'));
}

async function runInit(agent: Agent, options: RunOptions): Promise<number> {
  const deadline = performance.now() + options.initTimeout * 1000;
  for (let failures = 1; ; failures++) {
    try {
      options.log.event(describe(await agent.render(), true, options.config.secrets.length));
      return 0;
    } catch (err) {
      const left = (deadline - performance.now()) / 1000;
      if (left <= 0) {
        options.log.event(`could not render within ${options.initTimeout} s: ${oneLine(err)}`);
        return 1;
      }
      const wait = Math.min(left, backoff(failures, 10));
      options.log.event(`render failed (again in ${wait.toFixed(1)} s): ${oneLine(err)}`);
      await sleep(wait);
    }
  }
}

async function runSidecar(agent: Agent, options: RunOptions): Promise<never> {
  const server = await serve(options.listen, agent.metrics, () => agent.ready);
  stopOnSignals(options.log, server);
  const address = server.address();
  const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : options.listen;
  options.log.event(
    `serving /readyz, /healthz and /metrics on ${where}; ${count(options.config.secrets.length, 'secret')} into ${options.config.dir} every ${options.config.interval} s`,
  );
  let failures = 0;
  let first = true;
  for (;;) {
    let wait = options.config.interval;
    try {
      const report = await agent.render();
      if (failures > 0) options.log.event(`recovered after ${failures} failed renders`);
      const line = describe(report, first, options.config.secrets.length);
      if (first || report.written.length > 0) options.log.event(line);
      else options.log.debug(line);
      failures = 0;
      first = false;
      // a lease or TTL due before the interval ends: render then (renewing the lease, or reading anew)
      if (report.refreshIn !== undefined) wait = Math.max(0.5, Math.min(wait, report.refreshIn));
    } catch (err) {
      failures++;
      wait = backoff(failures, options.config.interval);
      const keeping = agent.ready ? 'keeping the last good files, ' : '';
      options.log.event(`render failed (${keeping}again in ${wait.toFixed(1)} s): ${oneLine(err)}`);
    }
    await sleep(wait);
  }
}

/** Runs the agent; resolves with the exit code (the sidecar resolves only by exiting on a signal). */
export async function runAgent(options: RunOptions): Promise<number> {
  const agent = await Agent.create(options.config, options.fetch, options.log);
  if (options.init) {
    stopOnSignals(options.log);
    return runInit(agent, options);
  }
  return runSidecar(agent, options);
}
