/**
 * plugin.yaml's generate command, `keyward-cmp`, as cmp-server runs it: with
 * `keyward argocd serve` resident (as the install example starts it) the app goes to
 * the server through its requests FIFO (the server reads the client's environment,
 * folder and arguments from /proc and writes to its stdout and stderr); without a
 * server, or with a dead one, the client runs `keyward argocd generate` itself. Output, diagnostics and exit codes are the
 * same either way, and equal the golden manifests of the example apps. A client killed while
 * its render waits on a Vault that never answers leaves the server answering the next one at
 * once, and no reply FIFO behind.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
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
/** What the server printed on stderr. */
let serverLog = '';

/**
 * Runs plugin/keyward-cmp in the app's folder, as cmp-server runs plugin.yaml's generate
 * command. Only with `fallback` is `keyward` on PATH: otherwise the server must answer.
 */
function keywardCmp(app: App, server = home, args: string[] = [], where = repo, fallback = false) {
  return run('sh', [join(REPO, 'plugin', 'keyward-cmp'), ...args], {
    clean: true,
    cwd: join(where, app.path),
    env: clientEnv(app, server, where, fallback),
  });
}

function clientEnv(app: App, server: string, where: string, fallback: boolean): Record<string, string> {
  const env = cmpEnv(sidecar, app, where);
  if (fallback) env.PATH = `${bin}:${env.PATH}`;
  env.KEYWARD_SERVER = server;
  return env;
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  for (const end = performance.now() + ms; !ok(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (performance.now() > end) throw new Error(`not within ${ms} ms`);
  }
}

beforeAll(async () => {
  sidecar = await demoVault();
  repo = exampleRepo(dir);
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'keyward'));
  server = spawn(process.execPath, [CLI, 'argocd', 'serve', '--dir', home], {
    env: { PATH: process.env.PATH, HOME: dir, ...sidecar.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr?.on('data', (chunk: Buffer) => {
    serverLog += chunk.toString('utf8');
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

  it('abandons the render of a client killed while it waits on Vault, and answers the next client at once', async () => {
    // a "Vault" that takes connections and never answers: the render waits up to KEYWARD_TIMEOUT
    const held = new Set<Socket>();
    const closed = new Set<Socket>();
    const deaf = createServer((socket) => {
      held.add(socket);
      // read (and drop) what comes, so the end of the connection is seen
      socket.resume();
      socket.on('close', () => closed.add(socket));
    });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', resolve));
    const address = deaf.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const env = clientEnv(plain, home, repo, false);
      Object.assign(env, { VAULT_ADDR: `http://127.0.0.1:${port}`, KEYWARD_TIMEOUT: '600' });
      const client = spawn('sh', [join(REPO, 'plugin', 'keyward-cmp')], {
        cwd: join(repo, plain.path),
        env,
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => client.once('exit', resolve));
      await until(() => held.size > 0, 20_000);
      const reply = join(home, `reply.${client.pid}`);
      expect(existsSync(reply)).toBe(true);
      client.kill('SIGKILL');
      await exited;
      await until(() => !existsSync(reply), 1000);
      await until(() => serverLog.includes(`request of process ${client.pid} abandoned: the client went away`), 1000);
      // the render itself stopped: its request to the deaf Vault was aborted, not left to time out
      await until(() => closed.size === held.size, 2000);
      const next = await keywardCmp(plain);
      expect(next).toMatchObject({ code: 0, stdout: golden('plain'), stderr: '' });
      expect(next.ms).toBeLessThan(5000);
      expect(readdirSync(home).sort()).toEqual(['pid', 'requests']);
      // the log names processes, never what they asked for
      expect(serverLog).not.toContain(sidecar.env.AVP_SECRET_ID);
      expect(serverLog).not.toContain(`127.0.0.1:${port}`);
    } finally {
      for (const socket of held) socket.destroy();
      deaf.close();
    }
  });
});
