/**
 * The env-mode launcher as the webhook runs it: the built dist/bundle/launch.cjs,
 * copied alone into a folder, run by node with `-- program args`, logging in to a
 * real Vault dev server with jwt auth. The program sees resolved values while the
 * launcher's own environment and the pod spec's env hold only references; exit codes
 * and signals pass through; any failure closes (the program never runs, the error
 * names the variable, never a value). `keyward launch` does the same.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/agent-process.js';
import { type JwtVault, jwtLogin, startJwtVault } from '../helpers/jwt-vault.js';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';

const work = tempDir('keyward-launch-');
const alone = join(work, 'bin');
const launcher = join(alone, 'keyward-launch.cjs');
const tokenFile = join(work, 'token');
const childJs = join(work, 'child.js');
const CANARY = `canary-${randomUUID()}`;
let vault: JwtVault;
let settings = '';

const CHILD = `const fs = require('node:fs');
const out = process.argv[2];
const seen = [];
for (const s of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'])
  process.on(s, () => { seen.push(s); fs.writeFileSync(out + '.signals', seen.join(',')); });
process.on('SIGTERM', () => process.exit(42));
fs.writeFileSync(out + '.tmp', JSON.stringify({ pid: process.pid, env: process.env }));
fs.renameSync(out + '.tmp', out);
setInterval(() => {}, 1000);`;

/** The container's env as the pod spec holds it (references and settings only). */
const podEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  DB_PASSWORD: '<vault:secret/app/db#password>',
  DSN: 'postgres://app:<vault:secret/app/db#password>@db/app',
  API: '<vault:secret/app/api>',
  PLAIN: 'a < b',
  KEYWARD_LAUNCH_SETTINGS: settings,
  ...extra,
});

const launch = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [launcher, '--', ...args], { clean: true, env, timeoutMs: 20_000 });

beforeAll(async () => {
  vault = await startJwtVault(work);
  await vault.write('app/db', { password: CANARY });
  await vault.write('app/api', { key: `${CANARY}-api`, port: 8443 });
  writeFileSync(tokenFile, vault.serviceAccountJwt());
  settings = JSON.stringify(jwtLogin(vault.addr, tokenFile));
  mkdirSync(alone);
  copyFileSync(join(REPO, 'dist', 'bundle', 'launch.cjs'), launcher);
  writeFileSync(childJs, CHILD);
});

afterAll(async () => {
  await vault?.stop();
});

describe('the env launcher (dist/bundle/launch.cjs)', () => {
  it('is one self-contained script: it requires nothing but Node.js built-ins', () => {
    expect(readdirSync(alone)).toEqual(['keyward-launch.cjs']);
    const required = [...readFileSync(launcher, 'latin1').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? '');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect(required.filter((id) => !builtins.has(id))).toEqual([]);
  });

  it('the program sees resolved values; the launcher and the pod spec keep references; signals and the exit code pass', async () => {
    const out = join(work, 'seen.json');
    const env = podEnv();
    const child: ChildProcess = spawn(process.execPath, [launcher, '--', process.execPath, childJs, out], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the program to start', () => existsSync(out), 15_000);
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { pid: number; env: Record<string, string> };
    expect(seen.env.DB_PASSWORD).toBe(CANARY);
    expect(seen.env.DSN).toBe(`postgres://app:${CANARY}@db/app`);
    expect(JSON.parse(seen.env.API ?? '')).toEqual({ key: `${CANARY}-api`, port: 8443 });
    expect(seen.env.PLAIN).toBe('a < b');
    expect(seen.env.KEYWARD_LAUNCH_SETTINGS).toBeUndefined();
    // the pod spec's env: references only
    expect(JSON.stringify(Object.entries(env).map(([name, value]) => ({ name, value })))).not.toContain(CANARY);
    if (seen.pid !== child.pid) {
      // Node.js without process.execve: the launcher stays as the parent, with its own environment unchanged
      const parentEnv = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
      expect(parentEnv).toContain('DB_PASSWORD=<vault:secret/app/db#password>');
      expect(parentEnv).not.toContain(CANARY);
    }
    for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGINT', 'SIGQUIT'] as const) {
      child.kill(signal);
      const signals = `${out}.signals`;
      await waitFor(
        `${signal} at the program`,
        () => existsSync(signals) && readFileSync(signals, 'utf8').includes(signal),
      );
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(42);
  });

  it('passes the exit code on, and 128 + n when a signal ended the program', async () => {
    expect((await launch(['sh', '-c', 'exit 7'], podEnv())).code).toBe(7);
    expect((await launch(['sh', '-c', 'kill -KILL $$'], podEnv())).code).toBe(137);
    expect((await launch(['sh', '-c', 'kill -TERM $$'], podEnv())).code).toBe(143);
    const plain = await launch(['sh', '-c', 'echo "$X"'], { PATH: process.env.PATH ?? '', X: 'no placeholders' });
    expect(plain).toMatchObject({ code: 0, stdout: 'no placeholders\n', stderr: '' });
  });

  it('fails closed: a variable that cannot be resolved means no program, a line per variable, no value', async () => {
    const marker = join(work, 'ran');
    const env = podEnv({ MISSING: '<vault:secret/app/db#nope>', BROKEN: 'x <vault:secret/app/db#password' });
    const res = await launch(['sh', '-c', `touch ${marker}`], env);
    expect(res.code).toBe(1);
    expect(existsSync(marker)).toBe(false);
    expect(res.stderr).toContain(
      'keyward launch: MISSING: <vault:secret/app/db#nope>: no key nope in vault:secret/app/db',
    );
    expect(res.stderr).toMatch(/keyward launch: BROKEN: .*no closing '>'/);
    expect(res.stderr).toContain('keyward launch: sh was not started');
    expect(res.stderr).not.toContain(CANARY);

    const unreachable = await launch(
      ['sh', '-c', `touch ${marker}`],
      podEnv({ KEYWARD_LAUNCH_SETTINGS: '{"VAULT_ADDR": "http://127.0.0.1:9"}' }),
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/keyward launch: DB_PASSWORD: vault: /);
    const badSettings = await launch(
      ['sh', '-c', `touch ${marker}`],
      podEnv({ KEYWARD_LAUNCH_SETTINGS: '{"VAULT_ADDR": 1}' }),
    );
    expect(badSettings.code).toBe(8);
    expect(badSettings.stderr).toContain('KEYWARD_LAUNCH_SETTINGS "VAULT_ADDR" must be a string');
    expect(existsSync(marker)).toBe(false);
    const missing = await launch(['no-such-program-here'], podEnv());
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('keyward launch: no-such-program-here: not found on PATH');
  });

  it('`keyward launch` runs the same launcher from the CLI', async () => {
    const res = await keyward(['launch', '--', 'sh', '-c', 'echo "$DSN"; exit 3'], { clean: true, env: podEnv() });
    expect(res).toMatchObject({ code: 3, stdout: `postgres://app:${CANARY}@db/app\n`, stderr: '' });
  });
});
