/**
 * age's SSH recipients and identities against the real age 1.3.1 and sops 3.13.2:
 * keyward wraps to `ssh-ed25519` / `ssh-rsa` keys that `age -d -i` opens, opens what
 * `age -R` writes, decrypts a sops-nix file made for an SSH key, and the built CLI
 * and real sops read each other's files in both directions.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armor, Encrypter, Stanza } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, FormatError } from '../../src/errors.js';
import { decryptBytes } from '../../src/index.js';
import { keyType } from '../../src/keys/age/index.js';
import { sshTag } from '../../src/keys/age/ssh.js';
import { parseSshRecipient } from '../../src/keys/age/ssh-format.js';
import { testContext } from '../helpers/context.js';
import { CONFORMANCE, keyward, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir('keyward-age-ssh-');
const home = tempDir('keyward-age-ssh-home-');
const KINDS = ['ed25519', 'rsa', 'rsa-pem'] as const;
const keyPath = (name: string) => join(dir, name);
const pub = (name: string) => readFileSync(`${keyPath(name)}.pub`, 'utf8');
const part = () => new Uint8Array(randomBytes(32));

async function keygen(name: string, args: string[]): Promise<void> {
  const res = await run('ssh-keygen', ['-q', ...args, '-N', '', '-C', `${name}@keyward.test`, '-f', keyPath(name)]);
  if (res.code !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
}

beforeAll(async () => {
  await keygen('ed25519', ['-t', 'ed25519']);
  await keygen('rsa', ['-t', 'rsa', '-b', '2048']);
  await keygen('rsa-pem', ['-t', 'rsa', '-b', '3072', '-m', 'PEM']);
  await keygen('rsa-short', ['-t', 'rsa', '-b', '1024']);
}, 60_000);

const sshCtx = (name: string) => testContext({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath(name) });

describe('ssh recipients in flags and reports', () => {
  it('parseFlag keeps an ssh-ed25519 key with its comment and an ssh-rsa key as given, trimmed', async () => {
    expect(await keyType.parseFlag?.(`  ${pub('ed25519')}`)).toEqual({ recipient: pub('ed25519').trim() });
    const [type, b64] = pub('rsa').split(' ');
    expect(await keyType.parseFlag?.(`${type} ${b64}\n`)).toEqual({ recipient: `${type} ${b64}` });
  });

  it('parseFlag refuses a short rsa key, a mislabelled key and garbage, without echoing key bytes', async () => {
    const [, edB64 = ''] = pub('ed25519').split(' ');
    for (const bad of [pub('rsa-short'), `ssh-rsa ${edB64}`, 'ssh-ed25519 AAAAnotakey', 'ssh-ed25519']) {
      let err: unknown;
      try {
        await keyType.parseFlag?.(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^age: /);
      if (bad.length > 40) expect((err as Error).message).not.toContain(bad.split(' ')[1]?.slice(10, 40));
    }
  });

  it('describe shows the SHA256 fingerprint that ssh-keygen -l prints', async () => {
    const listed = await run('ssh-keygen', ['-l', '-f', `${keyPath('ed25519')}.pub`]);
    const fp = /SHA256:\S+/.exec(listed.stdout)?.[0];
    expect(keyType.describe({ recipient: pub('ed25519').trim() })).toBe(`age ssh-ed25519 ${fp}`);
  });
});

describe.each(KINDS)('%s ssh key with the real age', (kind) => {
  it('keyward wraps, age -d -i <private key> unwraps', async () => {
    const secret = part();
    const enc = await keyType.wrap({ recipient: pub(kind).trim() }, secret, testContext());
    expect(enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/);
    const file = join(dir, `${kind}.age`);
    writeFileSync(file, enc);
    const res = await run(toolPath('age'), ['-d', '-i', keyPath(kind), file]);
    expect(res.stderr).toBe('');
    expect(new Uint8Array(res.stdoutBytes)).toEqual(secret);
  });

  it('age -R <public key> wraps, keyward unwraps', async () => {
    const secret = part();
    const res = await run(toolPath('age'), ['-a', '-R', `${keyPath(kind)}.pub`], { input: Buffer.from(secret) });
    expect(res.code).toBe(0);
    const ctx = sshCtx(kind);
    expect(await keyType.unwrap({ recipient: pub(kind).trim() }, res.stdout, ctx)).toEqual(secret);
    expect(ctx.logged).toEqual([]);
  });

  it('another ssh key is no identity for it (null, not an error)', async () => {
    const other = kind === 'ed25519' ? 'rsa' : 'ed25519';
    const enc = await keyType.wrap({ recipient: pub(kind).trim() }, part(), testContext());
    expect(await keyType.unwrap({ recipient: pub(kind).trim() }, enc, sshCtx(other))).toBeNull();
  });
});

describe('a broken stanza for this very key', () => {
  it.each(['ed25519', 'rsa'] as const)('%s: is a FormatError, not "no identity"', async (kind) => {
    const key = parseSshRecipient(pub(kind));
    const share = Buffer.from(randomBytes(32)).toString('base64').replace(/=+$/, '');
    const args = kind === 'rsa' ? ['ssh-rsa', sshTag(key.wire)] : ['ssh-ed25519', sshTag(key.wire), share];
    const enc = new Encrypter();
    enc.addRecipient({ wrapFileKey: () => [new Stanza(args, randomBytes(kind === 'rsa' ? 256 : 32))] });
    const armored = armor.encode(await enc.encrypt(part()));
    const err = await keyType.unwrap({ recipient: pub(kind).trim() }, armored, sshCtx(kind)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/^age: the ssh-(ed25519|rsa) stanza for this key does not decrypt$/);
  });
});

describe('sops files for ssh keys', () => {
  it('decrypts the sops-nix file written for an ssh-ed25519 key through the core', async () => {
    const external = join(CONFORMANCE, 'external', 'Mic92-sops-nix');
    const ctx = testContext({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(external, 'ssh-ed25519-key') }, true);
    const input = readFileSync(join(external, 'secrets-native-ssh.yaml'));
    const res = await decryptBytes(input, { inputFormat: 'yaml' }, ctx);
    expect(new TextDecoder().decode(res.output)).toBe('test_key: test_value\n');
  });

  const env = { SOPS_CONFIG: '/dev/null', SOPS_DISABLE_VERSION_CHECK: '1', HOME: home };
  const plain = join(dir, 'plain.yaml');
  const text = 'db:\n    user: app\n    password: s3cr3t-ssh-interop\nport: 5432\n';

  it.each(KINDS)('keyward encrypt --age "<%s pubkey>"; the real sops decrypts it', async (kind) => {
    writeFileSync(plain, text);
    const enc = await keyward(['encrypt', '--age', pub(kind).trim(), plain], { env, clean: true });
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout).toContain(`recipient: ${pub(kind).trim()}`);
    const file = join(dir, `by-keyward-${kind}.yaml`);
    writeFileSync(file, enc.stdout);
    const dec = await run(toolPath('sops'), ['decrypt', file], {
      env: { ...env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath(kind) },
      clean: true,
    });
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe(text);
  });

  it.each(KINDS)('the real sops encrypt --age "<%s pubkey>"; keyward decrypt reads it', async (kind) => {
    writeFileSync(plain, text);
    const enc = await run(toolPath('sops'), ['encrypt', '--age', pub(kind).trim(), plain], { env, clean: true });
    expect(enc.code).toBe(0);
    const file = join(dir, `by-sops-${kind}.yaml`);
    writeFileSync(file, enc.stdout);
    const dec = await keyward(['decrypt', file], {
      env: { ...env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: keyPath(kind) },
      clean: true,
    });
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toBe(text);
  });
});
