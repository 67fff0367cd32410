/**
 * Telling the app that its secret files changed: the agent sends the configured
 * signal to every process whose executable base name — `/proc/<pid>/comm`, or the
 * base name of the first word of `/proc/<pid>/cmdline` — is the configured name
 * (the kernel keeps 15 bytes of comm: a longer name matches through cmdline).
 * That needs the pod's shared process namespace (`shareProcessNamespace: true`);
 * the agent never signals itself, and a process that vanished in between is skipped.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface Signalled {
  pid: number;
  /** The name it matched by. */
  name: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The names a process goes by: its comm and its argv[0]'s base name. */
export function namesOf(pid: number, proc = '/proc'): string[] {
  const names: string[] = [];
  const comm = readText(`${proc}/${pid}/comm`)?.trim();
  if (comm) names.push(comm);
  const argv0 = readText(`${proc}/${pid}/cmdline`)?.split('\0')[0];
  if (argv0) names.push(basename(argv0));
  return names;
}

/** The pids of the processes called `wanted` (never this one). */
export function findProcesses(wanted: string, proc = '/proc'): Signalled[] {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return [];
  }
  const found: Signalled[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const names = namesOf(pid, proc);
    if (names.includes(wanted)) found.push({ pid, name: wanted });
  }
  return found;
}

/** Sends `signal` to every process called `wanted`; returns the ones that got it. */
export function signalProcesses(wanted: string, signal: NodeJS.Signals): Signalled[] {
  const sent: Signalled[] = [];
  for (const target of findProcesses(wanted)) {
    try {
      process.kill(target.pid, signal);
      sent.push(target);
    } catch {
      // gone since, or not ours to signal
    }
  }
  return sent;
}
