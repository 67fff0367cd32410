/**
 * The built `keyward agent` as a process against a real Vault dev server of its own,
 * logging in with jwt auth (a service-account-style token signed here, audience
 * `vault`): the first render (contents, a template, a whole secret as JSON, modes),
 * a rotation reaching the file within the interval with unchanged files untouched
 * and the reload signal reaching an app process, Vault stopped (last good files
 * kept, the error counter rising), Vault started again with nothing in it but a fresh
 * seed (the agent logs in again and recovers), SIGTERM (exit 0 at once). No secret
 * value ever shows in stderr or /metrics.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../sidecar/contract.js';
import { type AgentProcess, startAgent, waitFor } from '../helpers/agent-process.js';
import { type JwtVault, jwtLogin, startJwtVault } from '../helpers/jwt-vault.js';
import { tempDir } from '../helpers/proc.js';

const work = tempDir('keyward-agent-e2e-');
const dir = join(work, 'secrets');
const tokenFile = join(work, 'token');
const hupFile = join(work, 'hups');
const canary = (n: number) => `canary-${n}-${randomUUID()}`;
const CANARIES = [canary(1), canary(2), canary(3)];
const API_KEY = canary(4);
const TARGET = 'kw-reload-target';
let vault: JwtVault;
let agent: AgentProcess;
let target: ChildProcess;
let spawnedAt = 0;
let lastMetrics = '';

const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
const mode = (file: string): number => statSync(join(dir, file)).mode & 0o777;

beforeAll(async () => {
  vault = await startJwtVault(work);
  await vault.write('app/db', { password: CANARIES[0], user: 'app' });
  await vault.write('app/api', { key: API_KEY, region: 'eu-west-2' });
  writeFileSync(tokenFile, vault.serviceAccountJwt());
  // the app: a process whose argv[0] is its name, recording each SIGHUP
  const script = `process.on('SIGHUP', () => require('fs').appendFileSync(${JSON.stringify(hupFile)}, 'HUP\\n'));
require('fs').writeFileSync(${JSON.stringify(hupFile)}, ''); setInterval(() => {}, 1000);`;
  target = spawn(process.execPath, ['-e', script], { argv0: TARGET, stdio: 'ignore' });
  await waitFor('the reload target', () => existsSync(hupFile));
});

afterAll(async () => {
  target?.kill('SIGKILL');
  await agent?.stop('SIGKILL');
  await vault?.stop();
});

const config = (): AgentConfig => ({
  settings: jwtLogin(vault.addr, tokenFile),
  dir,
  interval: 1,
  secrets: [
    { name: 'db-password', source: '<vault:secret/app/db#password>', file: 'db/password', mode: 0o400 },
    {
      name: 'db-url',
      source: 'postgres://<vault:secret/app/db#user>:<vault:secret/app/db#password>@db/app',
      file: 'db-url',
      mode: 0o440,
    },
    { name: 'api', source: '<vault:secret/app/api>', file: 'api.json', mode: 0o644 },
  ],
  reload: { signal: 'SIGHUP', process: TARGET },
});

describe('keyward agent with jwt auth against a real Vault', () => {
  it('logs in, renders every secret with its mode, then /readyz answers 200', async () => {
    spawnedAt = Date.now();
    agent = await startAgent(config(), ['--verbose']);
    await waitFor('the first render', () => existsSync(join(dir, 'api.json')), 15_000);
    const firstFile = Math.min(...['db/password', 'db-url', 'api.json'].map((f) => statSync(join(dir, f)).mtimeMs));
    console.log(`agent: first file ${Math.round(firstFile - spawnedAt)} ms after the spawn`);
    expect(read('db/password')).toBe(CANARIES[0]);
    expect(read('db-url')).toBe(`postgres://app:${CANARIES[0]}@db/app`);
    expect(JSON.parse(read('api.json'))).toEqual({ key: API_KEY, region: 'eu-west-2' });
    expect([mode('db/password'), mode('db-url'), mode('api.json')]).toEqual([0o400, 0o440, 0o644]);
    await waitFor('/readyz 200', async () => (await agent.get('/readyz')).status === 200);
    expect((await agent.get('/healthz')).status).toBe(200);
    expect(await agent.metric('keyward_agent_renders_total', { outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(await agent.metric('keyward_agent_ready')).toBe(1);
    expect(readFileSync(hupFile, 'utf8')).toBe('');
  });

  it('a rotation reaches the files within the interval; unchanged files are not rewritten; the app gets SIGHUP', async () => {
    const before = statSync(join(dir, 'api.json'));
    await waitFor('a quiet re-render', async () => (await agent.metric('keyward_agent_renders_total')) >= 2);
    const rotated = Date.now();
    await vault.write('app/db', { password: CANARIES[1], user: 'app' });
    await waitFor('the rotated password', () => read('db/password') === CANARIES[1], 5_000);
    console.log(`agent: rotation in the file ${Date.now() - rotated} ms after the write (interval 1 s)`);
    expect(Date.now() - rotated).toBeLessThan(2_500);
    await waitFor('the rotated URL', () => read('db-url').includes(CANARIES[1] ?? '-'), 2_000);
    const after = statSync(join(dir, 'api.json'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(mode('db/password')).toBe(0o400);
    await waitFor('SIGHUP at the app', () => readFileSync(hupFile, 'utf8').includes('HUP'), 3_000);
    expect(await agent.metric('keyward_agent_reloads_total', { signal: 'SIGHUP', process: TARGET })).toBeGreaterThan(0);
    expect(await agent.metric('keyward_agent_files_written_total', { secret: 'db-password' })).toBe(2);
    expect(await agent.metric('keyward_agent_files_written_total', { secret: 'api' })).toBe(1);
    await waitFor('the reload in the log', () =>
      /keyward agent: sent SIGHUP to kw-reload-target \(pid \d+\)/.test(agent.stderr()),
    );
  });

  it('Vault stopped: the last good files stay, the error counter rises, /readyz stays 200', async () => {
    await vault.stop();
    const errors = await agent.metric('keyward_agent_errors_total', { stage: 'render' });
    await waitFor('two failed renders', async () => {
      return (await agent.metric('keyward_agent_errors_total', { stage: 'render' })) >= errors + 2;
    });
    expect(await agent.metric('keyward_agent_renders_total', { outcome: 'failure' })).toBeGreaterThanOrEqual(2);
    expect(read('db/password')).toBe(CANARIES[1]);
    expect(JSON.parse(read('api.json'))).toEqual({ key: API_KEY, region: 'eu-west-2' });
    expect((await agent.get('/readyz')).status).toBe(200);
    await waitFor('the failure in the log', () =>
      /render failed \(keeping the last good files, again in \d\.\d s\): .*not reachable/.test(agent.stderr()),
    );
  });

  it('Vault back as a new server (nothing of the old token left): the agent logs in again and recovers', async () => {
    await vault.write('app/db', { password: CANARIES[2], user: 'app' });
    await vault.start();
    await waitFor('the password from the new server', () => read('db/password') === CANARIES[2], 10_000);
    await waitFor('the recovery in the log', () =>
      /keyward agent: recovered after \d+ failed renders/.test(agent.stderr()),
    );
    expect(agent.stderr().match(/vault: logged in with jwt at auth\/jwt/g)?.length).toBeGreaterThanOrEqual(2);
    lastMetrics = (await agent.get('/metrics')).body;
    expect(lastMetrics).toContain('keyward_agent_last_success_timestamp_seconds ');
  });

  it('SIGTERM: exit 0 at once', async () => {
    const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8');
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
    const renders = await agent.metric('keyward_agent_renders_total');
    console.log(`agent: peak RSS ${peak.toFixed(1)} MB after ${renders} renders`);
    expect(peak).toBeGreaterThan(0);
    const exit = await agent.stop('SIGTERM');
    console.log(`agent: exit ${exit.code} ${Math.round(exit.ms)} ms after SIGTERM`);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(1_000);
    expect(agent.stderr()).toContain('keyward agent: stopping (SIGTERM)');
  });

  it('no secret value in stderr or /metrics (canaries)', () => {
    const stderr = agent.stderr();
    for (const value of [...CANARIES, API_KEY]) {
      expect(stderr).not.toContain(value);
      expect(lastMetrics).not.toContain(value);
    }
    expect(readFileSync(tokenFile, 'utf8').length).toBeGreaterThan(20);
    expect(stderr).not.toContain(readFileSync(tokenFile, 'utf8'));
    expect(stderr).not.toContain(vault.token);
  });
});
