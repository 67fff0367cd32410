/**
 * The client of a request, seen through /proc: its request (environment, folder and
 * arguments), and its watch while the request is handled: cmp-server kills a generate
 * that runs too long, and Argo CD gives up on apps, so a render can outlive the client
 * that asked for it. That work is abandoned. A process is known by its pid and its
 * start time (field 22 of /proc/<pid>/stat, clock ticks since boot), so a pid reused by
 * a later process does not pass for the client; a zombie (exited, not yet reaped by
 * its parent) counts as gone.
 */

import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { ownUid } from './serve-home.js';

export interface GenerateRequest {
  dir: string;
  env: Record<string, string>;
  args: string[];
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
export function readRequest(pid: string): GenerateRequest {
  const proc = `/proc/${pid}`;
  if (statSync(proc).uid !== ownUid()) throw new Error('not a process of this user');
  const argv = readFileSync(`${proc}/cmdline`, 'utf8').split('\0').slice(0, -1);
  return {
    dir: readlinkSync(`${proc}/cwd`),
    env: parseEnv(readFileSync(`${proc}/environ`, 'utf8')),
    // sh /…/keyward-cmp [args]: the script's arguments
    args: argv.slice(2),
  };
}

/** The start time in a /proc/<pid>/stat line; undefined for a zombie or a line that is not one. */
export function parseStartTime(stat: string): string | undefined {
  // field 2, the command name, is in parentheses and may hold spaces and parentheses itself
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3, the state; field 22 is fields[19]
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** The start time of the process `pid`; undefined when it does not run (any more). */
export function startTime(pid: string): string | undefined {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` that started at `start` still runs. */
export const running = (pid: string, start: string): boolean => startTime(pid) === start;

/**
 * Calls `gone` once when the process `pid` that started at `start` no longer runs,
 * looking every `everyMs`; returns the function that stops the watch. The timer does
 * not keep the server alive by itself.
 */
export function watchClient(pid: string, start: string, gone: () => void, everyMs = 150): () => void {
  const timer = setInterval(() => {
    if (running(pid, start)) return;
    clearInterval(timer);
    gone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
