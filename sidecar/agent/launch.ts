/**
 * The env-mode launcher. The webhook makes an app container run
 * `/keyward/bin/node /keyward/bin/keyward-launch.cjs -- <command> <args…>`; the
 * launcher resolves every variable of its environment that holds a placeholder
 * (`DB_PASSWORD=<vault:secret/app#password>`) with the core settings in
 * KEYWARD_LAUNCH_SETTINGS, drops that variable, and becomes the program: through
 * `process.execve` where Node.js has it (22.15 / 23.11 and later: same pid, nothing
 * stays resident), else as a child with the terminal signals forwarded and its exit
 * code passed on (128 + the signal's number when a signal ended it). It fails
 * closed: when any variable cannot be resolved, the program is not started, and the
 * error names the variables, never a value. The pod spec keeps the references only.
 *
 * Exit codes of its own: 1 a variable could not be resolved, 8 a bad
 * KEYWARD_LAUNCH_SETTINGS or no program, 126 the program could not be started,
 * 127 the program was not found.
 */

import { accessSync, constants as fs, statSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  asKeywardError,
  type HttpFetch,
  type Logger,
  PlaceholderError,
  resolveTexts,
  sopsAware,
} from '../../src/index.js';
import { LAUNCH_SETTINGS_ENV } from '../contract.js';
import { inPodContext, parseSettings } from './config.js';

export const LAUNCH_EXIT = { unresolved: 1, usage: 8, cannotRun: 126, notFound: 127 } as const;

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Env = Record<string, string>;
type Execve = (file: string, args: readonly string[], env: Env) => never;

const say = (line: string): void => {
  process.stderr.write(`keyward launch: ${line}\n`);
};

const quietLog: Logger = { debug: () => undefined, info: say, warn: (m) => say(`warning: ${m}`) };

/** The program's path: as given when it holds a `/`, else the first executable file of that name on PATH. */
export function findProgram(program: string, path: string | undefined): string | undefined {
  const runnable = (file: string): boolean => {
    try {
      accessSync(file, fs.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return runnable(program) ? program : undefined;
  for (const dir of (path ?? DEFAULT_PATH).split(delimiter)) {
    const file = join(dir === '' ? '.' : dir, program);
    if (runnable(file)) return file;
  }
  return undefined;
}

/** The child's environment: placeholders resolved, KEYWARD_LAUNCH_SETTINGS gone. Throws when any fails. */
export async function childEnvironment(env: NodeJS.ProcessEnv, fetch: HttpFetch): Promise<Env> {
  const settingsText = env[LAUNCH_SETTINGS_ENV];
  const settings = settingsText === undefined ? {} : parseSettings(settingsText, LAUNCH_SETTINGS_ENV);
  const out: Env = {};
  const texts: Env = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === LAUNCH_SETTINGS_ENV) continue;
    out[name] = value;
    if (value.includes('<')) texts[name] = value;
  }
  if (Object.keys(texts).length === 0) return out;
  const ctx = inPodContext(settings, fetch, quietLog);
  const { values } = await resolveTexts(texts, ctx, sopsAware(ctx).helpers, { label: 'env', attempts: 5 });
  return { ...out, ...values };
}

function runChild(file: string, program: string, args: readonly string[], env: Env): Promise<number> {
  return new Promise((resolve) => {
    // loaded here: child_process brings net and dgram, which a launcher using execve never needs
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(file, args, { argv0: program, env, stdio: 'inherit' });
    const handlers = FORWARDED.map((signal) => {
      const forward = () => child.kill(signal);
      process.on(signal, forward);
      return [signal, forward] as const;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      say(`${program}: cannot start (${err.code ?? 'error'})`);
      resolve(LAUNCH_EXIT.cannotRun);
    });
    child.on('exit', (code, signal) => {
      for (const [s, forward] of handlers) process.off(s, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/** Runs `-- program args…` with the resolved environment; resolves with the exit code to end with. */
export async function launch(argv: readonly string[], fetch: HttpFetch, env = process.env): Promise<number> {
  const [program, ...args] = argv[0] === '--' ? argv.slice(1) : argv;
  if (program === undefined || program === '') {
    say('no program to run (usage: keyward-launch.cjs -- <program> [args…])');
    return LAUNCH_EXIT.usage;
  }
  let childEnv: Env;
  try {
    childEnv = await childEnvironment(env, fetch);
  } catch (err) {
    const failure = asKeywardError(err);
    if (failure instanceof PlaceholderError) {
      for (const f of failure.failures) say(`${f.field}: ${f.message}`);
    } else say(failure.message);
    say(`${program} was not started`);
    return failure.code === 'usage' ? LAUNCH_EXIT.usage : LAUNCH_EXIT.unresolved;
  }
  const file = findProgram(program, childEnv.PATH);
  if (!file) {
    say(`${program}: not found${program.includes('/') ? '' : ' on PATH'}, or not executable`);
    return LAUNCH_EXIT.notFound;
  }
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return runChild(file, program, args, childEnv);
  try {
    execve.call(process, file, [program, ...args], childEnv);
  } catch (err) {
    say(`${program}: cannot start (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return LAUNCH_EXIT.cannotRun;
}
