/**
 * The in-pod programs' inputs, checked before anything runs: the agent's
 * KEYWARD_AGENT_CONFIG (an AgentConfig, sidecar/contract.ts) and the launcher's
 * KEYWARD_LAUNCH_SETTINGS (a JSON object of core settings). Both come from the pod
 * spec and hold references and settings, never a value, so errors may quote names
 * but still show no setting's value. A bad input is a `usage` error (exit code 8).
 * The core's Context is built from those settings alone, never from process.env.
 */

import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, isAbsolute } from 'node:path';
import { type Context, type HttpFetch, KeywardError, type Logger, Settings } from '../../src/index.js';
import { AGENT_CONFIG_ENV, type AgentConfig, isSafeRelative, type ReloadSpec, type SecretSpec } from '../contract.js';

const bad = (what: string, why: string): KeywardError => new KeywardError('usage', `agent: ${what} ${why}`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON object of strings (core settings), or an error naming `what`. */
export function parseSettings(text: string, what: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad(what, 'is not JSON');
  }
  return settingsOf(parsed, what);
}

function settingsOf(value: unknown, what: string): Record<string, string> {
  if (!isRecord(value)) throw bad(what, 'must be a JSON object of names to strings');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`${what} ${JSON.stringify(name)}`, 'must be a string');
    out[name] = v;
  }
  return out;
}

function secretOf(value: unknown, i: number): SecretSpec {
  const where = `${AGENT_CONFIG_ENV} secrets[${i}]`;
  if (!isRecord(value)) throw bad(where, 'must be an object');
  const { name, source, file, mode } = value;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name))
    throw bad(where, '.name must be letters, digits, ".", "_" or "-"');
  if (typeof source !== 'string') throw bad(`${where} (${name})`, '.source must be a string');
  if (typeof file !== 'string' || !isSafeRelative(file))
    throw bad(`${where} (${name})`, '.file must be a relative path without ".." inside the secrets folder');
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw bad(`${where} (${name})`, '.mode must be a file mode from 0 to 0o777 (a number)');
  return { name, source, file, mode };
}

function reloadOf(value: unknown): ReloadSpec | undefined {
  if (value === undefined) return undefined;
  const where = `${AGENT_CONFIG_ENV} reload`;
  if (!isRecord(value)) throw bad(where, 'must be an object');
  const { signal, process } = value;
  if (typeof signal !== 'string' || !(signal in constants.signals))
    throw bad(where, '.signal must be a signal name such as SIGHUP');
  // a path is taken by its base name, the name /proc shows
  const name = typeof process === 'string' ? basename(process) : '';
  if (name === '' || name === '.' || name === '..') throw bad(where, ".process must be an executable's name");
  return { signal, process: name };
}

/** The agent's configuration from the text of KEYWARD_AGENT_CONFIG, checked. */
export function parseAgentConfig(text: string | undefined): AgentConfig {
  if (text === undefined || text.trim() === '') throw bad(AGENT_CONFIG_ENV, 'is not set');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad(AGENT_CONFIG_ENV, 'is not JSON');
  }
  if (!isRecord(parsed)) throw bad(AGENT_CONFIG_ENV, 'must be a JSON object');
  const settings = settingsOf(parsed.settings, `${AGENT_CONFIG_ENV} settings`);
  const { dir, secrets, interval } = parsed;
  if (typeof dir !== 'string' || !isAbsolute(dir)) throw bad(`${AGENT_CONFIG_ENV} dir`, 'must be an absolute path');
  if (!Array.isArray(secrets) || secrets.length === 0)
    throw bad(`${AGENT_CONFIG_ENV} secrets`, 'must be a non-empty list');
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0)
    throw bad(`${AGENT_CONFIG_ENV} interval`, 'must be a positive number of seconds');
  const specs = secrets.map(secretOf);
  const seen = new Set<string>();
  for (const s of specs) {
    for (const key of [`name ${s.name}`, `file ${s.file}`]) {
      if (seen.has(key)) throw bad(`${AGENT_CONFIG_ENV} secrets`, `hold two secrets with the same ${key}`);
      seen.add(key);
    }
  }
  const reload = reloadOf(parsed.reload);
  return { settings, dir, secrets: specs, interval, ...(reload ? { reload } : {}) };
}

/** The core's Context for the agent and the launcher: these settings only, files, HTTP; no programs run. */
export function inPodContext(settings: Record<string, string>, fetch: HttpFetch, log: Logger): Context {
  return {
    settings: Settings.fromRecord(settings),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    run: async (command) => {
      throw new KeywardError('config', `agent: running programs (${command}) is not available in the pod`);
    },
    fetch,
    now: () => new Date(),
    log,
  };
}
