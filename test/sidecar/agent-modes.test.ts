/**
 * The built `keyward agent` in its other modes and failures: `--init` renders once
 * and exits 0 (or 1 with one clear line once --init-timeout is spent), a broken
 * KEYWARD_AGENT_CONFIG is exit 8 naming the field (never a setting's value), bad core
 * settings are exit 1 at once, `--help` documents the env var, flags and exit codes,
 * `--install-launcher` copies node and the launcher bundle. The sidecar answers
 * /readyz 503 until a render completes, and SIGTERM or SIGINT end it with 0 within a
 * second even while a read waits on a Vault that never answers.
 */

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../sidecar/contract.js';
import { startAgent, waitFor } from '../helpers/agent-process.js';
import { type JwtVault, jwtLogin, ROLE, startJwtVault } from '../helpers/jwt-vault.js';
import { keyward, REPO, tempDir } from '../helpers/proc.js';
import { freePort } from '../rig/servers.js';

const work = tempDir('keyward-agent-modes-');
const tokenFile = join(work, 'token');
const CANARY = `canary-${randomUUID()}`;
let vault: JwtVault;
let hanging: Server;
const held = new Set<Socket>();

beforeAll(async () => {
  vault = await startJwtVault(work);
  await vault.write('app/db', { password: CANARY });
  writeFileSync(tokenFile, vault.serviceAccountJwt());
  // a "Vault" that accepts connections and never answers
  hanging = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  hanging?.close();
  await vault?.stop();
});

const config = (addr: string, dir: string, extra: Partial<AgentConfig> = {}): AgentConfig => ({
  settings: jwtLogin(addr, tokenFile),
  dir,
  interval: 1,
  secrets: [{ name: 'db', source: '<vault:secret/app/db#password>', file: 'db', mode: 0o600 }],
  ...extra,
});

const agent = (args: string[], cfg: unknown) =>
  keyward(['agent', ...args], {
    clean: true,
    env: { KEYWARD_AGENT_CONFIG: typeof cfg === 'string' ? cfg : JSON.stringify(cfg) },
    timeoutMs: 20_000,
  });

describe('keyward agent --init', () => {
  it('renders once and exits 0', async () => {
    const dir = join(work, 'init-ok');
    const res = await agent(['--init'], config(vault.addr, dir));
    console.log(`agent --init: exit ${res.code} after ${Math.round(res.ms)} ms`);
    expect(res).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(join(dir, 'db'), 'utf8')).toBe(CANARY);
    expect(statSync(join(dir, 'db')).mode & 0o777).toBe(0o600);
    expect(res.stderr).toMatch(/^keyward agent: rendered 1 secret: 1 file written \(db\), 1 read, \d+ ms\n$/);
  });

  it('cannot reach Vault: retries until --init-timeout, then exit 1 with one clear line; nothing written', async () => {
    const dir = join(work, 'init-down');
    const res = await agent(['--init', '--init-timeout', '1'], config(`http://127.0.0.1:${await freePort()}`, dir));
    expect(res.code).toBe(1);
    expect(res.ms).toBeLessThan(8_000);
    expect(res.stderr).toMatch(/keyward agent: render failed \(again in \d\.\d s\): .*is not reachable/);
    expect(res.stderr).toMatch(/keyward agent: could not render within 1 s: .*secret db: vault: .*is not reachable/);
    expect(existsSync(join(dir, 'db'))).toBe(false);
  });

  it('a broken KEYWARD_AGENT_CONFIG is exit 8 naming what is wrong, never a setting value', async () => {
    const secretSettings = { ...config(vault.addr, work).settings, VAULT_TOKEN: CANARY };
    const cases: [unknown, RegExp][] = [
      [undefined, /KEYWARD_AGENT_CONFIG is not set/],
      ['{not json', /KEYWARD_AGENT_CONFIG is not JSON/],
      [{ ...config(vault.addr, 'relative'), settings: secretSettings }, /dir must be an absolute path/],
      [
        {
          ...config(vault.addr, work),
          settings: secretSettings,
          secrets: [{ name: 'x', source: '', file: '../x', mode: 0o600 }],
        },
        /secrets\[0\] \(x\) \.file must be a relative path without "\.\."/,
      ],
      [{ ...config(vault.addr, work), reload: { signal: 'SIGNOPE', process: 'app' } }, /reload \.signal must be/],
      [{ ...config(vault.addr, work), settings: { A: 1 } }, /settings "A" must be a string/],
    ];
    for (const [cfg, message] of cases) {
      const res = await keyward(['agent', '--init'], {
        clean: true,
        env: cfg === undefined ? {} : { KEYWARD_AGENT_CONFIG: typeof cfg === 'string' ? cfg : JSON.stringify(cfg) },
      });
      expect(res.code).toBe(8);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toContain(CANARY);
    }
  });

  it('bad core settings (no VAULT_ADDR) fail at once with exit 1', async () => {
    const cfg = config(vault.addr, join(work, 'no-addr'));
    cfg.settings = { KEYWARD_VAULT_AUTH: 'jwt', VAULT_ROLE: ROLE, KEYWARD_VAULT_JWT_FILE: tokenFile };
    const res = await agent(['--init'], cfg);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('keyward: vault: VAULT_ADDR is not set');
  });

  it('--help documents the env var, the flags and the exit codes', async () => {
    const res = await keyward(['agent', '--help']);
    expect(res.code).toBe(0);
    for (const text of [
      'KEYWARD_AGENT_CONFIG',
      '--init',
      '--init-timeout',
      '--listen',
      '0.0.0.0:8099',
      '--install-launcher',
    ]) {
      expect(res.stdout).toContain(text);
    }
    expect(res.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}8 /);
  });

  it('--install-launcher copies node (0755) and the launcher bundle (0644)', async () => {
    const bin = join(work, 'bin');
    const res = await keyward(['agent', '--install-launcher', bin]);
    expect(res).toMatchObject({ code: 0 });
    expect(statSync(join(bin, 'node')).mode & 0o777).toBe(0o755);
    expect(statSync(join(bin, 'node')).size).toBe(statSync(process.execPath).size);
    expect(statSync(join(bin, 'keyward-launch.cjs')).mode & 0o777).toBe(0o644);
    const bundle = readFileSync(join(REPO, 'dist', 'bundle', 'launch.cjs'));
    expect(readFileSync(join(bin, 'keyward-launch.cjs')).equals(bundle)).toBe(true);
    expect(res.stderr).toContain(`keyward agent: installed ${join(bin, 'keyward-launch.cjs')}`);
  });
});

describe('keyward agent (sidecar) stopping and probes', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`/readyz 503 while a read hangs; ${signal} ends it with 0 within a second`, async () => {
      const { port } = hanging.address() as { port: number };
      const running = await startAgent(config(`http://127.0.0.1:${port}`, join(work, `hang-${signal}`)));
      await waitFor('the agent to listen', async () => (await running.get('/healthz')).status === 200);
      await waitFor('a read in flight', () => held.size > 0);
      expect((await running.get('/readyz')).status).toBe(503);
      expect(await running.metric('keyward_agent_ready')).toBe(0);
      const exit = await running.stop(signal);
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(1_000);
      expect(running.stderr()).toContain(`keyward agent: stopping (${signal})`);
    });
  }

  it('a busy --listen address is exit 2', async () => {
    const { port } = hanging.address() as { port: number };
    const res = await agent(['--listen', `127.0.0.1:${port}`], config(vault.addr, join(work, 'busy')));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`agent: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
  });
});
