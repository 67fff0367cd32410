/**
 * Vault going away in the middle of a render: a proxy in front of the rig's real
 * Vault answers the first reads and then stops (connections cut, then refused) or
 * stops answering. keyward must exit non-zero within its timeout, say clearly what
 * happened, print nothing on stdout, and never show the canary it had already read.
 */

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FailingProxy, startFailingProxy } from '../helpers/failing-proxy.js';
import { keyward, tempDir } from '../helpers/proc.js';
import { mount, vaultAddr, writeKv2 } from '../helpers/vault.js';
import { ENV, rigEnv } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const PATHS = 24;
let kv = '';
let file = '';
let proxy: FailingProxy | undefined;

beforeAll(async () => {
  kv = await mount('kv', { version: '2' });
  const lines: string[] = [];
  for (let i = 0; i < PATHS; i++) {
    await writeKv2(kv, `app-${i}`, { password: `${CANARY}-${i}` });
    lines.push(`  p${i}: <vault:${kv}/app-${i}#password>`);
  }
  file = join(dir, 'many.yaml');
  writeFileSync(file, `apiVersion: v1\nkind: Secret\nmetadata:\n  name: many\nstringData:\n${lines.join('\n')}\n`);
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const render = (address: string, timeout: string) =>
  keyward(['render', '--concurrency', '2', '--timeout', timeout, file], {
    clean: true,
    env: { VAULT_ADDR: address, VAULT_TOKEN: rigEnv(ENV.vaultToken), AVP_KV_VERSION: '2' },
  });

describe('vault stopping mid-run', () => {
  it('stopped after a few reads: exit 1, a clear error, nothing on stdout, no canary', async () => {
    proxy = await startFailingProxy(vaultAddr(), 5, 'stop');
    const res = await render(proxy.url, '2');
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toContain('nothing was written');
    expect(res.stderr).toMatch(/vault: http:\/\/127\.0\.0\.1:\d+ is not reachable/);
    expect(res.stderr).not.toContain(CANARY);
    expect(res.ms).toBeLessThan(20_000);
  });

  it('no answers after a few reads: exit 1 after the per-try timeout and its retries', async () => {
    proxy = await startFailingProxy(vaultAddr(), 5, 'hang');
    const res = await render(proxy.url, '1');
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toContain('vault: no answer within 1 s');
    expect(res.stderr).not.toContain(CANARY);
    // 2 reads in flight at a time, 3 tries of 1 s each: well within 15 s
    expect(res.ms).toBeLessThan(15_000);
    expect(proxy.count()).toBeGreaterThan(5);
  });
});
