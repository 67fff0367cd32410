/**
 * `hc_vault` (Vault/OpenBao transit) master keys against the rig's real Vault API
 * dev server: keyward and the real sops read each other's files, a denied token or
 * a server outside SOPS_HC_VAULT_ALLOWLIST gives a one-line error naming the key and
 * exit 128, and no secret value reaches stderr.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
let address = '';
let token = '';
let uri = '';
let keywardOutput = '';
const masked = (text: string) => text.replace(/ENC\[[^\]]*\]|vault:v1:\S+|"\d{4}-\d\d-\d\dT[^"]*"/g, '…');

async function vault(path: string, body: object): Promise<void> {
  const res = await fetch(`${address}/v1/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok && res.status !== 204) throw new Error(`vault ${path}: HTTP ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  address = rigEnv(ENV.vaultAddr);
  token = rigEnv(ENV.vaultToken);
  const mount = `transit-${randomUUID().slice(0, 8)}`;
  await vault(`sys/mounts/${mount}`, { type: 'transit' });
  await vault(`${mount}/keys/keyward`, {});
  uri = `${address}/v1/${mount}/keys/keyward`;
  writeFileSync(join(dir, 'plain.yaml'), `password: ${CANARY}\nport: 5432\n`);
});

const env = (extra: Record<string, string> = {}) => ({
  env: { VAULT_TOKEN: token, SOPS_CONFIG: '/dev/null', ...extra },
});

describe('hc_vault keys', () => {
  it('keyward encrypts with transit; the real sops decrypts it', async () => {
    const enc = await keyward(['encrypt', '--hc-vault-transit', uri, join(dir, 'plain.yaml')], env());
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout).toMatch(/enc: vault:v1:/);
    keywardOutput = enc.stdout;
    const file = join(dir, 'kw.enc.yaml');
    writeFileSync(file, enc.stdout);
    const dec = await run(toolPath('sops'), ['decrypt', file], env());
    expect(dec.stdout).toBe(readFileSync(join(dir, 'plain.yaml'), 'utf8'));
  });

  it('the real sops encrypts with transit; keyward decrypts it', async () => {
    const enc = await run(toolPath('sops'), ['encrypt', '--hc-vault-transit', uri, join(dir, 'plain.yaml')], env());
    expect(enc.code).toBe(0);
    const file = join(dir, 'sops.enc.yaml');
    writeFileSync(file, enc.stdout);
    // the same layout as sops's, ciphertexts and times aside
    expect(masked(enc.stdout)).toBe(masked(keywardOutput));
    const dec = await keyward(['decrypt', file], env());
    expect(dec).toMatchObject({ code: 0, stderr: '' });
    expect(dec.stdout).toBe(readFileSync(join(dir, 'plain.yaml'), 'utf8'));
  });

  it('a denied token or a server outside the allowlist: exit 128, the key named, no secret', async () => {
    const file = join(dir, 'sops.enc.yaml');
    const denied = await keyward(['decrypt', file], env({ VAULT_TOKEN: 'not-a-token' }));
    expect(denied.code).toBe(128);
    expect(denied.stderr).toContain(`hc_vault ${uri}: Vault refused to decrypt`);
    const blocked = await keyward(['decrypt', file], env({ SOPS_HC_VAULT_ALLOWLIST: 'https://elsewhere.example' }));
    expect(blocked.code).toBe(128);
    expect(blocked.stderr).toContain('not in SOPS_HC_VAULT_ALLOWLIST');
    for (const res of [denied, blocked]) {
      expect(res.stdout).toBe('');
      expect(res.stderr).not.toContain(CANARY);
      expect(res.stderr).not.toContain(token);
    }
  });

  it('rejects a URI that is not a transit key with exit code and message', async () => {
    const res = await keyward(
      ['encrypt', '--hc-vault-transit', `${address}/transit/keys/x`, join(dir, 'plain.yaml')],
      env(),
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('is not a transit key URI');
  });
});
