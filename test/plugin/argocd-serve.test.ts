/**
 * plugin.yaml's generate command, `keyward-cmp`, as cmp-server runs it: with
 * `keyward argocd serve` resident (as the install example starts it) the app goes to
 * the server over its unix socket; without a server, or with a dead one, the client
 * runs `keyward argocd generate` itself. Output, diagnostics and exit codes are the
 * same either way, and equal the golden manifests of the example apps.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, cmpEnv, demoVault, exampleRepo, type Sidecar } from '../helpers/argocd.js';
import { CLI, REPO, run, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const socket = join(dir, 'keyward.sock');
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

/** Runs plugin/keyward-cmp in the app's folder, as cmp-server runs plugin.yaml's generate command. */
function keywardCmp(app: App, sock = socket, args: string[] = [], where = repo) {
  const env = cmpEnv(sidecar, app);
  env.PATH = `${bin}:${env.PATH}`;
  env.KEYWARD_SOCKET = sock;
  return run('sh', [join(REPO, 'plugin', 'keyward-cmp'), ...args], { clean: true, cwd: join(where, app.path), env });
}

beforeAll(async () => {
  sidecar = await demoVault();
  repo = exampleRepo(dir);
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'keyward'));
  server = spawn(process.execPath, [CLI, 'argocd', 'serve', '--socket', socket], {
    env: { PATH: process.env.PATH, HOME: dir, ...sidecar.env },
    stdio: 'ignore',
  });
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 100) throw new Error('keyward argocd serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(() => {
  server?.kill('SIGTERM');
});

describe('keyward-cmp with keyward argocd serve', () => {
  it('renders the example apps as the CLI does, through a 0600 socket', async () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    for (const [name, app] of [
      ['plain', plain],
      ['helm', helm],
      ['kustomize', { name: 'shop-kustomize', path: 'apps/kustomize' }],
    ] as const) {
      const res = await keywardCmp(app);
      expect(res.stderr).toBe('');
      expect(res).toMatchObject({ code: 0, stdout: golden(name) });
    }
  });

  it('passes on failures (exit code, every line of stderr, nothing on stdout), warnings and --strict', async () => {
    const broken = exampleRepo(dir);
    writeFileSync(
      join(broken, 'apps', 'plain', 'more.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  a: <vault:secret/keyward-demo/db#nope>\n  b: <vault:secret/keyward-demo/db#username>\n',
    );
    const failed = await keywardCmp(plain, socket, [], broken);
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toBe(
      `keyward: 1 placeholder could not be resolved; nothing was written\n  ${join(broken, 'apps', 'plain', 'more.yaml')}, document 0, data.a: <vault:secret/keyward-demo/db#nope>: no key nope in vault:secret/keyward-demo/db\n`,
    );
    writeFileSync(
      join(broken, 'apps', 'plain', 'more.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  b: <vault:secret/keyward-demo/db#username>\n',
    );
    const warned = await keywardCmp(plain, socket, [], broken);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/^keyward: warning: ConfigMap leaky \(.*\) holds secret values in data\.b;/);
    const strict = await keywardCmp(plain, socket, ['--strict'], broken);
    expect(strict).toMatchObject({ code: 1, stdout: '' });
    expect(strict.stderr).toContain('(strict mode)');
  });

  it('without a server, or with a dead one, the client runs keyward itself', async () => {
    const none = await keywardCmp(plain, join(dir, 'nobody.sock'));
    expect(none).toMatchObject({ code: 0, stdout: golden('plain'), stderr: '' });
    const stale = join(dir, 'stale.sock');
    const dead = spawn(process.execPath, [CLI, 'argocd', 'serve', '--socket', stale], { stdio: 'ignore' });
    for (let i = 0; !existsSync(stale) && i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    expect(existsSync(stale)).toBe(true);
    const afterDeath = await keywardCmp(plain, stale);
    expect(afterDeath).toMatchObject({ code: 0, stdout: golden('plain'), stderr: '' });
  });
});
