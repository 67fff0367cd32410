/**
 * The vault backend as the agent holds it — one instance for many renders
 * (`createBackend` + `resolveTexts` with `instances`) — against a real Vault dev
 * server with jwt auth and short token TTLs (3 s, max 7 s). The token is renewed past
 * two thirds of its TTL (`auth/token/renew-self`), the backend logs in again near the
 * max TTL, and that login sends the token file's new content (the kubelet rotates
 * it). A token revoked behind its back gets one "permission denied", then a fresh
 * login and the read succeeds. Every render in between works. Requests are recorded
 * by a pass-through around the real fetch.
 */

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackendInstance,
  type Context,
  createBackend,
  type HttpFetch,
  resolveTexts,
  Settings,
  sopsAware,
} from '../../src/index.js';
import { type JwtVault, jwtLogin, startJwtVault } from '../helpers/jwt-vault.js';
import { tempDir } from '../helpers/proc.js';

const work = tempDir('keyward-agent-token-');
const tokenFile = join(work, 'token');
const CANARY = `canary-${randomUUID()}`;
let vault: JwtVault;

interface Call {
  path: string;
  status: number;
  jwt?: string;
  token?: string;
}
const calls: Call[] = [];

/** The real fetch, recording each request's path, status, login JWT and token. */
const recording: HttpFetch = async (url, init = {}) => {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const body = init.body ? (JSON.parse(init.body) as { jwt?: string }) : {};
  calls.push({
    path: new URL(url).pathname,
    status: res.status,
    ...(body.jwt ? { jwt: body.jwt } : {}),
    ...(init.headers?.['X-Vault-Token'] ? { token: init.headers['X-Vault-Token'] } : {}),
  });
  return res;
};

const logins = () => calls.filter((c) => c.path === '/v1/auth/jwt/login');
const renewals = () => calls.filter((c) => c.path === '/v1/auth/token/renew-self' && c.status === 200);

beforeAll(async () => {
  vault = await startJwtVault(work);
  await vault.setRole({ token_ttl: '3s', token_max_ttl: '7s' });
  await vault.write('app/db', { password: CANARY });
  writeFileSync(tokenFile, vault.serviceAccountJwt());
});

afterAll(async () => {
  await vault?.stop();
});

describe('a long-lived vault backend (the agent’s)', () => {
  let ctx: Context;
  let backend: BackendInstance;
  const render = async () => {
    const { values } = await resolveTexts({ db: '<vault:secret/app/db#password>' }, ctx, sopsAware(ctx).helpers, {
      instances: { vault: backend },
    });
    return values.db;
  };

  beforeAll(async () => {
    ctx = {
      settings: Settings.fromRecord(jwtLogin(vault.addr, tokenFile)),
      readFile: async (path) => new Uint8Array(await readFile(path)),
      run: async () => {
        throw new Error('no programs here');
      },
      fetch: recording,
      now: () => new Date(),
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    };
    backend = await createBackend('vault', ctx, sopsAware(ctx).helpers);
  });

  it('renews its token, then logs in again near the max TTL with the rotated token file', async () => {
    expect(await render()).toBe(CANARY);
    expect(logins()).toHaveLength(1);
    const rotated = vault.serviceAccountJwt({ jti: randomUUID() });
    writeFileSync(tokenFile, rotated);
    const deadline = Date.now() + 9_000;
    let renders = 1;
    while (Date.now() < deadline) {
      await sleep(300);
      expect(await render()).toBe(CANARY);
      renders++;
    }
    console.log(`vault backend: ${renders} renders, ${renewals().length} renewals, ${logins().length} logins`);
    expect(renewals().length).toBeGreaterThanOrEqual(2);
    expect(logins().length).toBeGreaterThanOrEqual(2);
    expect(logins()[1]?.jwt).toBe(rotated);
    // no read was ever refused: the token was always renewed or replaced in time
    expect(calls.filter((c) => c.status === 403)).toEqual([]);
  });

  it('a revoked token: one "permission denied", a fresh login, and the read succeeds', async () => {
    const token = calls.filter((c) => c.path.startsWith('/v1/secret/data/')).at(-1)?.token;
    expect(token).toBeDefined();
    await vault.admin('auth/token/revoke', { token });
    const before = logins().length;
    expect(await render()).toBe(CANARY);
    expect(logins().length).toBe(before + 1);
    expect(calls.filter((c) => c.status === 403).length).toBeGreaterThanOrEqual(1);
  });
});
