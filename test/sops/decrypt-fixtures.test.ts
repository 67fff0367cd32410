/**
 * Real sops files from test/fixtures/sops-upstream: values, comments and MACs decrypt
 * with their data keys (below; each unwrapped once from the file with its published test
 * key; key unwrapping itself is tested per key type).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MacMismatchError } from '../../src/errors.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { emitPlain, loadEncrypted } from '../../src/sops/file.js';
import { verifyMac } from '../../src/sops/mac.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE } from '../helpers/proc.js';

const DATA_KEYS: Record<string, string> = {
  'example.yaml': '8c68886c50b5b72965a3cb99c5172e1d74a8aca27b39ee880b535d6907e59f68',
  'format.enc.yaml': 'af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4',
  'multiple_keys.yaml': '1e1db61c6b93c001caa9ce34a9d68448eee8a3c69336697eab36bb92327ce786',
  'comments.enc.yaml': '61bec946f5783fd4cea3d1b1ce407fce2b6e81fc301cc539c422015e27f6d1be',
  'comments_unencrypted_comments.yaml': '70f645aec88418dff72ac2a7a5503209cf00beda80706e6e157fd94ae53885a0',
  'external/Mic92-sops-nix/secrets-native-ssh.yaml': '291bc7e85228e839d712016e1a3152ef3e97edc1d25ff60952d08f60b2375ae1',
  'external/fluxcd-kustomize-controller/age.yaml': '558e95c88337865c839703a4e892c03eed324ae6bbcb65c2989558e1a55825bb',
};

async function decrypt(name: string, ignoreMac = false) {
  const ctx = testContext();
  const file = await loadEncrypted(readFileSync(join(CONFORMANCE, name)), 'yaml');
  const key = new Uint8Array(Buffer.from(DATA_KEYS[name] ?? '00'.repeat(32), 'hex'));
  const tree = decryptTree(file, key, ctx.log, { ignoreMac });
  return { text: Buffer.from(await emitPlain(tree, 'yaml')).toString(), logged: ctx.logged, metadata: file.metadata };
}

describe('decrypting real sops YAML files', () => {
  it('example.yaml (sops 3.10.2): values, types, encrypted comments, MAC', async () => {
    const { text } = await decrypt('example.yaml');
    expect(text).toContain('myapp1: t00m4nys3cr3tzupdated');
    expect(text).toContain('        user: eve');
    expect(text).toContain('        password: c4r1b0u');
    expect(text).toContain('number: 1.234568e+09');
    expect(text).toContain('    - secretuser1');
    expect(text).toContain('    - true\n    - false');
    expect(text).toContain('# private key for secret operations in app2');
    expect(text).toContain('# by adding the `_unencrypted` suffix');
    expect(text).toContain('-----BEGIN RSA PRIVATE KEY-----');
  });

  it('format.enc.yaml and multiple_keys.yaml', async () => {
    expect((await decrypt('format.enc.yaml')).text).toBe('foo: bar\n');
    expect((await decrypt('multiple_keys.yaml')).text).toBe('message: hello\n');
  });

  it('comments.enc.yaml decrypts its comments with the top-level path', async () => {
    expect((await decrypt('comments.enc.yaml')).text).toBe(
      '# first comment in file\nlorem: ipsum\n# this-is-a-comment\ndolor: sit\n',
    );
  });

  it('tolerates plaintext comments from old sops with a warning', async () => {
    const { text, logged } = await decrypt('comments_unencrypted_comments.yaml');
    expect(text).toContain('lorem: ipsum');
    expect(text).toContain('# this-is-a-comment');
    expect(logged.some((l) => l.startsWith('warn:') && l.includes('not encrypted'))).toBe(true);
  });

  it('external age fixtures: sops 3.9.0 encrypted_regex and sops 3.13.3 metadata order', async () => {
    const flux = await decrypt('external/fluxcd-kustomize-controller/age.yaml');
    expect(flux.text).toBe('apiVersion: v1\nkind: Secret\nmetadata:\n    name: age\nstringData:\n    key: value\n');
    expect(flux.metadata.selection).toEqual({ field: 'encrypted_regex', value: '^(data|stringData)$' });
    expect((await decrypt('external/Mic92-sops-nix/secrets-native-ssh.yaml')).text).toBe('test_key: test_value\n');
  });

  it('no_mac.yaml fails the MAC check unless it is ignored', async () => {
    const file = await loadEncrypted(readFileSync(join(CONFORMANCE, 'no_mac.yaml')), 'yaml');
    expect(file.metadata.mac).toBeUndefined();
    const key = new Uint8Array(32);
    expect(() => verifyMac(file.metadata.mac, 'ANY', key, file.metadata.lastModified)).toThrow(MacMismatchError);
    expect(() => verifyMac(file.metadata.mac, 'ANY', key, file.metadata.lastModified)).toThrow(/--ignore-mac/);
  });

  it('a changed plaintext value breaks the MAC', async () => {
    const text = readFileSync(join(CONFORMANCE, 'external/fluxcd-kustomize-controller/age.yaml'), 'utf8');
    const file = await loadEncrypted(Buffer.from(text.replace('name: age', 'name: changed')), 'yaml');
    const key = new Uint8Array(Buffer.from(DATA_KEYS['external/fluxcd-kustomize-controller/age.yaml'] ?? '', 'hex'));
    expect(() => decryptTree(file, key, testContext().log)).toThrow(MacMismatchError);
    expect(() => decryptTree(file, key, testContext().log, { ignoreMac: true })).not.toThrow();
  });
});
