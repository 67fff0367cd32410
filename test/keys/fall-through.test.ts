/**
 * One key group holding a `kms` key (the rig's local-kms) and an `hc_vault` key (the
 * rig's Vault), each reached through a recording proxy: the decryption order
 * (--decryption-order, SOPS_DECRYPTION_ORDER) decides which server is asked first;
 * an outage (proxy closed, or a port nobody listens on) or a denied key makes
 * keyward fall through to the next key as sops does; with both keys failing the
 * error names each key and its reason, exit 128, and no secret anywhere.
 */

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingProxy, startRecordingProxy } from '../fakes/sts-fake-and-proxy.js';
import { transitKeys } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const plain = `password: ${CANARY}\n`;
const file = join(dir, 'both.enc.yaml');
let kms: RecordingProxy;
let vault: RecordingProxy;
let arn = '';
let transitUri = '';

function env(over: Record<string, string> = {}) {
  return {
    env: {
      SOPS_CONFIG: '/dev/null',
      AWS_ACCESS_KEY_ID: 'keyward-test',
      AWS_SECRET_ACCESS_KEY: 'keyward-test',
      AWS_ENDPOINT_URL_KMS: kms.url,
      VAULT_TOKEN: rigEnv(ENV.vaultToken),
      ...over,
    },
  };
}

/** Requests each proxy saw while `action` ran. */
async function counted<T>(action: () => Promise<T>): Promise<{ result: T; kms: number; vault: number }> {
  const [k, v] = [kms.paths.length, vault.paths.length];
  const result = await action();
  return { result, kms: kms.paths.length - k, vault: vault.paths.length - v };
}

beforeAll(async () => {
  arn = rigEnv(ENV.kmsKeyArn);
  kms = await startRecordingProxy(rigEnv(ENV.kmsEndpoint));
  vault = await startRecordingProxy(rigEnv(ENV.vaultAddr));
  [transitUri = ''] = await transitKeys(['fall'], vault.url);
  writeFileSync(join(dir, 'plain.yaml'), plain);
  const made = await keyward(
    ['encrypt', '--kms', arn, '--hc-vault-transit', transitUri, join(dir, 'plain.yaml')],
    env(),
  );
  if (made.code !== 0) throw new Error(`encrypt failed: ${made.stderr}`);
  writeFileSync(file, made.stdout);
});

afterAll(async () => {
  await kms?.close();
  await vault?.close();
});

describe('decryption order', () => {
  it('by default the file order (kms before hc_vault) decides: only KMS is asked', async () => {
    const { result, kms: k, vault: v } = await counted(() => keyward(['decrypt', file], env()));
    expect(result).toMatchObject({ code: 0, stdout: plain });
    expect([k > 0, v]).toEqual([true, 0]);
  });

  it('--decryption-order hc_vault,kms asks Vault only', async () => {
    const args = ['decrypt', '--decryption-order', 'hc_vault,kms', file];
    const { result, kms: k, vault: v } = await counted(() => keyward(args, env()));
    expect(result).toMatchObject({ code: 0, stdout: plain });
    expect([k, v > 0]).toEqual([0, true]);
  });

  it('SOPS_DECRYPTION_ORDER applies to every command, e.g. exec-env', async () => {
    const over = env({ SOPS_DECRYPTION_ORDER: 'hc_vault' });
    const { result, kms: k } = await counted(() => keyward(['exec-env', file, 'printenv password'], over));
    expect(result).toMatchObject({ code: 0, stdout: `${CANARY}\n` });
    expect(k).toBe(0);
  });
});

describe('falling through to the next key', () => {
  it('KMS unreachable: the Vault key decrypts', async () => {
    const res = await keyward(['decrypt', file], env({ AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' }));
    expect(res).toMatchObject({ code: 0, stdout: plain, stderr: '' });
  });

  it('the Vault token denied: the KMS key decrypts', async () => {
    const over = env({ VAULT_TOKEN: 'denied-token', SOPS_DECRYPTION_ORDER: 'hc_vault,kms' });
    const { result, kms: k } = await counted(() => keyward(['decrypt', file], over));
    expect(result).toMatchObject({ code: 0, stdout: plain, stderr: '' });
    expect(k).toBeGreaterThan(0);
  });

  it('the real sops falls through the same way on the same file', async () => {
    const res = await run(toolPath('sops'), ['decrypt', file], env({ AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' }));
    expect(res).toMatchObject({ code: 0, stdout: plain });
  });

  it('both down (Vault proxy closed, KMS port closed): exit 128 naming each key, no secret', async () => {
    await vault.close();
    const res = await keyward(['decrypt', file], env({ AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' }));
    expect(res.code).toBe(128);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`kms ${arn}: KMS could not decrypt`);
    expect(res.stderr).toContain(`hc_vault ${transitUri}: Vault is not reachable`);
    expect(res.stderr).not.toContain(`${transitUri}: hc_vault`);
    expect(res.stderr).not.toContain(CANARY);
  });
});
