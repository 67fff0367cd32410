/**
 * Smoke tests proving the rig runs the real components: sops with a fresh age key,
 * the OpenBao/Vault dev server through node-vault, local-kms through the AWS SDK,
 * and gpg with a throwaway key.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import vaultFactory from 'node-vault';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();

describe('test rig: real components', () => {
  it('sops encrypts and decrypts a file with a fresh age key', async () => {
    const keyFile = join(dir, 'age.txt');
    const keygen = await run(toolPath('age-keygen'), ['-o', keyFile]);
    expect(keygen.code).toBe(0);
    const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, 'utf8'))?.[1];
    expect(recipient).toMatch(/^age1/);
    const plain = join(dir, 'smoke.yaml');
    writeFileSync(plain, 'greeting: hello from the rig\ncount: 3\n');
    const enc = await run(toolPath('sops'), ['encrypt', '--age', String(recipient), plain], {
      env: { SOPS_CONFIG: '/dev/null' },
    });
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout).toContain('ENC[AES256_GCM,');
    expect(enc.stdout).not.toContain('hello from the rig');
    const encFile = join(dir, 'smoke.enc.yaml');
    writeFileSync(encFile, enc.stdout);
    const dec = await run(toolPath('sops'), ['decrypt', encFile], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe('greeting: hello from the rig\ncount: 3\n');
  });

  it('the vault-api dev server writes and reads KV v2 through node-vault', async () => {
    const vault = vaultFactory({ endpoint: rigEnv(ENV.vaultAddr), token: rigEnv(ENV.vaultToken) });
    await vault.write('secret/data/keyward-smoke', { data: { password: 'rig-smoke-value' } });
    const read = (await vault.read('secret/data/keyward-smoke')) as { data: { data: Record<string, string> } };
    expect(read.data.data.password).toBe('rig-smoke-value');
    const health = (await vault.health()) as { initialized: boolean; sealed: boolean };
    expect(health).toMatchObject({ initialized: true, sealed: false });
  });

  it('local-kms encrypts and decrypts with an encryption context through @aws-sdk/client-kms', async () => {
    const kms = new KMSClient({
      endpoint: rigEnv(ENV.kmsEndpoint),
      region: rigEnv(ENV.kmsRegion),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const plaintext = new Uint8Array(Buffer.from('thirty-two bytes of a data key!!'));
    const context = { app: 'keyward', env: 'test' };
    const enc = await kms.send(
      new EncryptCommand({ KeyId: rigEnv(ENV.kmsKeyArn), Plaintext: plaintext, EncryptionContext: context }),
    );
    expect(enc.CiphertextBlob?.length).toBeGreaterThan(32);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('thirty-two bytes of a data key!!');
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: 'other' } })),
    ).rejects.toThrow();
    kms.destroy();
  });

  it('gpg generates a throwaway key and decrypts its own message', async () => {
    const home = join(dir, 'gnupg');
    const env = { GNUPGHOME: home };
    await run('mkdir', ['-m', '700', home]);
    const gen = await run(
      'gpg',
      [
        '--batch',
        '--passphrase',
        '',
        '--quick-gen-key',
        'keyward rig <rig@keyward.invalid>',
        'default',
        'default',
        'never',
      ],
      { env },
    );
    expect(gen.code).toBe(0);
    const enc = await run(
      'gpg',
      ['--batch', '--trust-model', 'always', '--armor', '--encrypt', '-r', 'rig@keyward.invalid'],
      { env, input: 'gpg rig message' },
    );
    expect(enc.code).toBe(0);
    expect(enc.stdout).toContain('-----BEGIN PGP MESSAGE-----');
    const dec = await run('gpg', ['--batch', '--quiet', '--decrypt'], { env, input: enc.stdout });
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe('gpg rig message');
    await run('gpgconf', ['--kill', 'gpg-agent'], { env });
  });
});
