/**
 * Parsing the pod-level annotation values that are more than a string: the mode
 * (`files`, `env`, or both), durations (`90`, `30s`, `5m`, `1h`), the reload signal
 * and its target process, and the agent's resources (an empty value removes one, as
 * in vault-k8s). Problems are collected, not thrown.
 */

import type { ReloadSpec } from '../contract.js';
import type { Resources } from './annotations.js';
import { DEFAULTS } from './options.js';
import { type Container, PREFIX } from './pod.js';

export function modesOf(value: string | undefined, problems: string[]): { files: boolean; env: boolean } {
  if (value === undefined) return { files: true, env: false };
  const modes = value
    .split(',')
    .map((m) => m.trim().toLowerCase())
    .filter((m) => m !== '');
  const bad = modes.filter((m) => m !== 'files' && m !== 'env');
  if (bad.length > 0 || modes.length === 0) {
    problems.push(`${PREFIX}mode: ${JSON.stringify(value)} is not files, env, or files,env`);
    return { files: true, env: false };
  }
  return { files: modes.includes('files'), env: modes.includes('env') };
}

const UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

/** A duration in whole seconds, 1 s to 24 h. */
export function seconds(value: string | undefined, fallback: number, key: string, problems: string[]): number {
  if (value === undefined) return fallback;
  const m = /^\s*(\d+)\s*([smh]?)\s*$/.exec(value);
  const n = m ? Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    problems.push(`${key}: ${JSON.stringify(value)} is not a duration from 1s to 24h (e.g. 30s, 5m)`);
    return fallback;
  }
  return n;
}

const SIGNALS = ['HUP', 'INT', 'QUIT', 'TERM', 'USR1', 'USR2', 'WINCH'];

export function reloadOf(
  a: Readonly<Record<string, string>>,
  all: readonly Container[],
  selected: readonly string[],
  problems: string[],
): ReloadSpec | undefined {
  const given = a[`${PREFIX}reload`]?.trim();
  const target = a[`${PREFIX}reload-process`]?.trim();
  if (given === undefined || given === '') {
    if (target) problems.push(`${PREFIX}reload-process: set without ${PREFIX}reload`);
    return undefined;
  }
  const name = given.toUpperCase().replace(/^SIG/, '');
  if (!SIGNALS.includes(name)) {
    problems.push(
      `${PREFIX}reload: ${JSON.stringify(given)} is not one of ${SIGNALS.map((s) => `SIG${s}`).join(', ')}`,
    );
    return undefined;
  }
  const first = all.find((c) => c.name === selected[0]);
  const process = target || first?.command?.[0]?.split('/').pop();
  if (!process) {
    problems.push(
      `${PREFIX}reload-process: needed (the program to signal), as ${first?.name ?? 'the app'} has no command`,
    );
    return undefined;
  }
  return { signal: `SIG${name}`, process };
}

const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|Ki|Mi|Gi|Ti|e\d+)?$/;

export function resourcesOf(a: Readonly<Record<string, string>>, problems: string[]): Resources {
  const out: Resources = { requests: {}, limits: {} };
  const items: [keyof Resources, 'cpu' | 'memory', string, string][] = [
    ['requests', 'cpu', 'requests-cpu', DEFAULTS.requestsCpu],
    ['requests', 'memory', 'requests-mem', DEFAULTS.requestsMem],
    ['limits', 'cpu', 'limits-cpu', DEFAULTS.limitsCpu],
    ['limits', 'memory', 'limits-mem', DEFAULTS.limitsMem],
  ];
  for (const [group, resource, name, fallback] of items) {
    const value = (a[PREFIX + name] ?? fallback).trim();
    if (value === '') continue;
    if (!QUANTITY.test(value)) problems.push(`${PREFIX}${name}: ${JSON.stringify(value)} is not a quantity`);
    else out[group][resource] = value;
  }
  return out;
}
