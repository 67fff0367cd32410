/**
 * Rendering a team's app the two ways cmp-server runs keyward: `keyward argocd
 * generate` as a process in the app's folder, or plugin.yaml's `keyward-cmp` handing
 * the app to a resident `keyward argocd serve` whose log is kept for canary checks.
 * The environment is what cmp-server gives a plugin: the sidecar's own, the
 * ARGOCD_APP_* variables (project and destination namespace of the team), the
 * Application's plugin env as ARGOCD_ENV_* and its parameters.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, keyward, type Ran, REPO, run } from './proc.js';
import type { Team } from './tenancy.js';

export type Mode = 'generate' | 'serve';

export interface AppRun {
  /** The checkout and the app's path in it. */
  repo: string;
  path: string;
  /** The team whose project and namespace the Application has. */
  team: Team;
  pluginEnv?: Record<string, string>;
  parameters?: object[];
  /** Replaces ARGOCD_APP_PARAMETERS by PARAM_* variables. */
  paramVars?: Record<string, string>;
  /** Extra or changed sidecar variables. */
  sidecar?: Record<string, string>;
  project?: string;
  namespace?: string;
}

export function appEnv(base: Record<string, string>, app: AppRun): Record<string, string> {
  const env: Record<string, string> = {
    ...base,
    ...app.sidecar,
    ARGOCD_APP_NAME: `team-${app.team}-app`,
    ARGOCD_APP_NAMESPACE: app.namespace ?? `team-${app.team}`,
    ARGOCD_APP_PROJECT_NAME: app.project ?? `team-${app.team}`,
    ARGOCD_APP_REVISION: '0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d',
    ARGOCD_APP_SOURCE_PATH: app.path,
    ARGOCD_APP_SOURCE_REPO_URL: `https://git.example.com/team-${app.team}/apps.git`,
    KUBE_VERSION: '1.31.4',
    KUBE_API_VERSIONS: 'v1,apps/v1',
  };
  for (const [name, value] of Object.entries(app.pluginEnv ?? {})) env[`ARGOCD_ENV_${name}`] = value;
  if (app.parameters) env.ARGOCD_APP_PARAMETERS = JSON.stringify(app.parameters);
  Object.assign(env, app.paramVars ?? {});
  return env;
}

export interface Resident {
  home: string;
  /** The server's stderr. */
  log: string;
  stop(): void;
}

/** Starts `keyward argocd serve` in `dir` with the sidecar's environment; its stderr goes to a log file. */
export async function startResident(dir: string, env: Record<string, string>): Promise<Resident> {
  mkdirSync(dir, { recursive: true });
  const home = join(dir, 'server');
  const log = join(dir, 'server.log');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'argocd', 'serve', '--dir', home], {
    env,
    stdio: ['ignore', 'ignore', openSync(log, 'a')],
  });
  for (let i = 0; !existsSync(join(home, 'pid')); i++) {
    if (i > 100) throw new Error('keyward argocd serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { home, log, stop: () => child.kill('SIGTERM') };
}

/** Runs the app as cmp-server would, one way or the other. */
export function render(base: Record<string, string>, app: AppRun, mode: Mode, resident?: Resident): Promise<Ran> {
  const env = appEnv(base, app);
  const cwd = join(app.repo, app.path);
  if (mode === 'generate') return keyward(['argocd', 'generate'], { clean: true, cwd, env });
  if (!resident) throw new Error('serve mode needs a resident server');
  // keyward is not on this PATH: a run that fell back instead of reaching the server would fail
  return run('sh', [join(REPO, 'plugin', 'keyward-cmp')], {
    clean: true,
    cwd,
    env: { ...env, KEYWARD_SERVER: resident.home },
  });
}

/** Every file under `dir` whose bytes hold one of `needles`, with the needle found. */
export function filesHolding(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    if (!existsSync(folder)) return;
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const text = readFileSync(path, 'latin1');
        for (const n of needles) if (text.includes(n)) found.push(`${path}: ${n}`);
      }
    }
  };
  walk(dir);
  return found;
}

/** Every canary a team owns. */
export const canariesOf = (c: Record<string, string>): string[] => Object.values(c);

/**
 * A render that failed closed: exit 1, nothing on stdout, a stderr line holding
 * `why`, and none of `canaries` in its output (nor in the server's log).
 */
export function expectRefused(res: Ran, why: string, canaries: readonly string[], resident?: Resident): void {
  const where = `exit ${res.code}, stderr: ${res.stderr.slice(0, 600)}`;
  if (res.code !== 1) throw new Error(`expected exit 1: ${where}`);
  if (res.stdout !== '') throw new Error(`expected no stdout: ${where}`);
  if (!res.stderr.includes(why)) throw new Error(`expected stderr to hold ${JSON.stringify(why)}: ${where}`);
  const log = resident ? readFileSync(resident.log, 'utf8') : '';
  for (const c of canaries) {
    if (res.stderr.includes(c) || log.includes(c)) throw new Error(`a canary of the other team leaked: ${where}`);
  }
}
