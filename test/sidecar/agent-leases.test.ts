/**
 * The agent and leases, against real servers: a KV v1 secret with a `ttl` is read
 * again when two thirds of its TTL have passed, long before the agent's interval
 * (re-reading on TTL); dynamic database credentials from Vault's database secrets
 * engine (a throwaway PostgreSQL on loopback) are not minted anew at every render:
 * the agent keeps one username, renews its lease while Vault allows, and reads new
 * credentials only when the lease cannot be renewed any more (its max TTL).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../sidecar/contract.js';
import { type AgentProcess, startAgent, waitFor } from '../helpers/agent-process.js';
import { type JwtVault, jwtLogin, startJwtVault } from '../helpers/jwt-vault.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/proc.js';

const work = tempDir('keyward-agent-leases-');
const dir = join(work, 'secrets');
const tokenFile = join(work, 'token');
let vault: JwtVault;
let postgres: Awaited<ReturnType<typeof startPostgres>>;
const agents: AgentProcess[] = [];

const POLICY = [
  'path "kv1/*" { capabilities = ["read"] }',
  'path "database/creds/app" { capabilities = ["read"] }',
  'path "sys/internal/ui/mounts/*" { capabilities = ["read"] }',
].join('\n');

beforeAll(async () => {
  vault = await startJwtVault(work);
  writeFileSync(tokenFile, vault.serviceAccountJwt());
  await vault.admin('sys/policies/acl/app-read', { policy: POLICY });
  await vault.admin('sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  postgres = await startPostgres(work);
  await vault.admin('sys/mounts/database', { type: 'database' });
  await vault.admin('database/config/pg', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/postgres?sslmode=disable`,
    username: postgres.user,
    password: postgres.password,
    allowed_roles: ['app'],
  });
  await vault.admin('database/roles/app', {
    db_name: 'pg',
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
    default_ttl: '3s',
    max_ttl: '8s',
  });
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  await vault?.stop();
  await postgres?.stop();
});

const config = (interval: number, source: string): AgentConfig => ({
  settings: jwtLogin(vault.addr, tokenFile),
  dir,
  interval,
  secrets: [{ name: 'value', source, file: 'value', mode: 0o400 }],
});

const value = (): string => {
  try {
    return readFileSync(join(dir, 'value'), 'utf8');
  } catch {
    return '';
  }
};

describe('keyward agent and leases', () => {
  it('re-reads a secret on its TTL, not only on the interval', async () => {
    await vault.admin('kv1/app', { password: 'first-value', ttl: '3s' });
    const agent = await startAgent(config(300, '<vault:kv1/app#password>'));
    agents.push(agent);
    await waitFor('the first render', () => value() === 'first-value');
    await vault.admin('kv1/app', { password: 'second-value', ttl: '3s' });
    const written = performance.now();
    // two thirds of 3 s, not the 300 s interval
    await waitFor('the TTL re-read', () => value() === 'second-value', 8_000);
    expect(performance.now() - written).toBeLessThan(5_000);
    await agent.stop();
  });

  it('keeps dynamic credentials while their lease renews, and reads new ones at the max TTL', async () => {
    const agent = await startAgent(config(1, '<vault:database/creds/app#username>'), ['--verbose']);
    agents.push(agent);
    await waitFor('the first credentials', () => value().startsWith('v-'), 15_000);
    const first = value();
    const seen = new Set<string>([first]);
    const started = performance.now();
    // renders every second; the lease (3 s, max 8 s) is renewed at 2 s, 4 s, …, never re-read before its max TTL
    while (performance.now() - started < 4_500) {
      await sleep(250);
      seen.add(value());
    }
    expect([...seen]).toEqual([first]);
    expect(agent.stderr()).toMatch(/renewed the lease of database\/creds\/app/);
    await waitFor('credentials after the max TTL', () => value() !== first && value().startsWith('v-'), 12_000);
    expect(agent.stderr()).not.toContain(value());
    await agent.stop();
  });
});
