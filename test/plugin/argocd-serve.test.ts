/**
 * plugin.yaml's generate command, `keyward-cmp`, as cmp-server runs it: with
 * `keyward argocd serve` resident (as the install example starts it) the app goes to
 * the server through its requests FIFO (the server reads the client's environment,
 * folder and arguments from /proc and writes to its stdout and stderr); without a
 * server, or with a dead one, the client runs `keyward argocd generate` itself. Output, diagnostics and exit codes are the
 * same either way, and equal the golden manifests of the example apps.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, cmpEnv, demoVault, exampleRepo, type Sidecar } from '../helpers/argocd.js';
import { CLI, REPO, run, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const home = join(dir, 'server');
const bin = join(dir, 'bin');
const golden = (name: string) => readFileSync(join(REPO, 'test', 'fixtures', 'argocd', `${name}.out.yaml`), 'utf8');
const helm: App = {
  name: 'shop-helm',
  path: 'apps/helm',
  parameters: [
    { name: 'values-files', array: ['values-prod.yaml'] },
    { name: 'helm-parameters', map: { image: 'ghcr.io/example/shop:1.4.3' } },
  ],
};
const plain: App = { name: 'shop-plain', path: 'apps/plain' };
let sidecar: Sidecar;
let repo = '';
let server: ChildProcess | undefined;

/**
 * Runs plugin/keyward-cmp in the app's folder, as cmp-server runs plugin.yaml's generate
 * command. Only with `fallback` is `keyward` on PATH: otherwise the server must answer.
 */
function keywardCmp(app: App, server = home, args: string[] = [], where = repo, fallback = false) {
  const env = cmpEnv(sidecar, app);
  if (fallback) env.PATH = `${bin}:${env.PATH}`;
  env.KEYWARD_SERVER = server;
  return run('sh', [join(REPO, 'plugin', 'keyward-cmp'), ...args], { clean: true, cwd: join(where, app.path), env });
}

beforeAll(async () => {
  sidecar = await demoVault();
  repo = exampleRepo(dir);
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'keyward'));
  server = spawn(process.execPath, [CLI, 'argocd', 'serve', '--dir', home], {
    env: { PATH: process.env.PATH, HOME: dir, ...sidecar.env },
    stdio: 'ignore',
  });
  for (let i = 0; !existsSync(join(home, 'pid')); i++) {
    if (i > 100) throw new Error('keyward argocd serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(() => {
  server?.kill('SIGTERM');
});

describe('keyward-cmp with keyward argocd serve', () => {
  it('renders the example apps as the CLI does, through a 0600 FIFO, leaving no reply FIFO behind', async () => {
    expect(statSync(join(home, 'requests')).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    for (const [name, app] of [
      ['plain', plain],
      ['helm', helm],
      ['kustomize', { name: 'shop-kustomize', path: 'apps/kustomize' }],
    ] as const) {
      const res = await keywardCmp(app);
      expect(res.stderr).toBe('');
      expect(res).toMatchObject({ code: 0, stdout: golden(name) });
    }
    expect(readdirSync(home).sort()).toEqual(['pid', 'requests']);
  });

  it('passes on failures (exit code, every line of stderr, nothing on stdout), warnings and --strict', async () => {
    const broken = exampleRepo(dir);
    writeFileSync(
      join(broken, 'apps', 'plain', 'more.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  a: <vault:secret/keyward-demo/db#nope>\n  b: <vault:secret/keyward-demo/db#username>\n',
    );
    const failed = await keywardCmp(plain, home, [], broken);
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe(
      `keyward: 1 placeholder could not be resolved; nothing was written\n  ${join(broken, 'apps', 'plain', 'more.yaml')}, document 0, data.a: <vault:secret/keyward-demo/db#nope>: no key nope in vault:secret/keyward-demo/db\n`,
    );
    writeFileSync(
      join(broken, 'apps', 'plain', 'more.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  b: <vault:secret/keyward-demo/db#username>\n',
    );
    const warned = await keywardCmp(plain, home, [], broken);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/^keyward: warning: ConfigMap leaky \(.*\) holds secret values in data\.b;/);
    const strict = await keywardCmp(plain, home, ['--strict'], broken);
    expect(strict).toMatchObject({ code: 1, stdout: '' });
    expect(strict.stderr).toContain('(strict mode)');
  });

  it('without a server, or with a dead one, the client runs keyward itself', async () => {
    const none = await keywardCmp(plain, join(dir, 'nobody'), [], repo, true);
    expect(none).toMatchObject({ code: 0, stdout: golden('plain'), stderr: '' });
    const stale = join(dir, 'stale');
    const dead = spawn(process.execPath, [CLI, 'argocd', 'serve', '--dir', stale], { stdio: 'ignore' });
    for (let i = 0; !existsSync(join(stale, 'pid')) && i < 100; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    expect(existsSync(join(stale, 'requests'))).toBe(true);
    const afterDeath = await keywardCmp(plain, stale, [], repo, true);
    expect(afterDeath).toMatchObject({ code: 0, stdout: golden('plain'), stderr: '' });
    expect(readdirSync(stale).sort()).toEqual(['pid', 'requests']);
  });
});
