/**
 * KEYWARD_AMBIENT_CREDENTIALS for the local key types and a whole file: with it on (the
 * default) `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, the default age keys.txt, the default
 * gpg keyring and `~/.vault-token` are used as sops uses them; with it off none of them
 * is read (the file's decryption finds no identity) while identities named in settings
 * still work; pgp without GNUPGHOME does not even run gpg.
 */

import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHttpFetch } from '../../cli/http.js';
import { DataKeyError, decryptBytes, encryptBytes, type RunResult } from '../../src/index.js';
import { keyType as age } from '../../src/keys/age/index.js';
import { keyType as pgp } from '../../src/keys/pgp.js';
import type { Context } from '../../src/types.js';
import { testContext } from '../helpers/context.js';
import { gnupgHome, PGP_FP, transitKeys } from '../helpers/keys.js';
import { run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv } from '../rig/paths.js';

const dir = tempDir('keyward-ambient-');
const home = tempDir('keyward-ambient-home-');
const part = new Uint8Array(randomBytes(32));
const http = makeHttpFetch({ timeoutMs: 10_000 });
let ssh = { recipient: '' };
let x25519 = { recipient: '', identity: '' };

const ctx = (settings: Record<string, string>): Context => ({ ...testContext(settings), fetch: http });
const OFF = { KEYWARD_AMBIENT_CREDENTIALS: 'off' };

beforeAll(async () => {
  mkdirSync(join(home, '.ssh'));
  const res = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
  if (res.code !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
  ssh = { recipient: readFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'utf8').trim() };
  const identity = await generateX25519Identity();
  x25519 = { identity, recipient: await identityToRecipient(identity) };
  mkdirSync(join(home, '.config', 'sops', 'age'), { recursive: true });
  writeFileSync(join(home, '.config', 'sops', 'age', 'keys.txt'), `${identity}\n`);
  writeFileSync(join(home, '.vault-token'), rigEnv(ENV.vaultToken));
}, 60_000);

describe('age default identity files', () => {
  it('on: ~/.ssh/id_ed25519 and ~/.config/sops/age/keys.txt (or under XDG_CONFIG_HOME) unwrap', async () => {
    for (const recipient of [ssh, x25519]) {
      const enc = await age.wrap(recipient, part, ctx({}));
      expect(await age.unwrap(recipient, enc, ctx({ HOME: home }))).toEqual(part);
    }
    const enc = await age.wrap(x25519, part, ctx({}));
    expect(await age.unwrap(x25519, enc, ctx({ XDG_CONFIG_HOME: join(home, '.config') }))).toEqual(part);
  });

  it('off: none of them is read; only SOPS_AGE_* sources give identities', async () => {
    for (const recipient of [ssh, x25519]) {
      const enc = await age.wrap(recipient, part, ctx({}));
      expect(await age.unwrap(recipient, enc, ctx({ HOME: home, ...OFF }))).toBeNull();
      const xdg = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...OFF };
      expect(await age.unwrap(recipient, enc, ctx(xdg))).toBeNull();
    }
    const keyFile = join(dir, 'named-keys.txt');
    copyFileSync(join(home, '.config', 'sops', 'age', 'keys.txt'), keyFile);
    const named: Record<string, string>[] = [
      { SOPS_AGE_KEY: x25519.identity },
      { SOPS_AGE_KEY_FILE: keyFile },
      { SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(home, '.ssh', 'id_ed25519') },
    ];
    for (const settings of named) {
      const recipient = settings.SOPS_AGE_SSH_PRIVATE_KEY_FILE ? ssh : x25519;
      const enc = await age.wrap(recipient, part, ctx({}));
      expect(await age.unwrap(recipient, enc, ctx({ HOME: home, ...OFF, ...settings }))).toEqual(part);
    }
  });
});

describe('pgp and the default keyring', () => {
  /** A context whose gpg "finds no secret key" and counts how often it ran. */
  function counting(settings: Record<string, string>): Context & { runs: number } {
    const c = { ...testContext(settings), runs: 0 };
    c.run = async (): Promise<RunResult> => {
      c.runs += 1;
      return { code: 2, stdout: new Uint8Array(), stderr: '[GNUPG:] NO_SECKEY 0000000000000000\n' };
    };
    return c;
  }

  it('off without GNUPGHOME: unwrap finds no identity without running gpg, wrap says to set GNUPGHOME', async () => {
    const off = counting(OFF);
    expect(await pgp.unwrap({ fingerprint: PGP_FP }, '-----BEGIN PGP MESSAGE-----', off)).toBeNull();
    await expect(pgp.wrap({ fingerprint: PGP_FP }, part, off)).rejects.toThrow(
      `pgp ${PGP_FP}: set GNUPGHOME (the default keyring is not used while KEYWARD_AMBIENT_CREDENTIALS is off)`,
    );
    expect(off.runs).toBe(0);
    const on = counting({});
    expect(await pgp.unwrap({ fingerprint: PGP_FP }, '-----BEGIN PGP MESSAGE-----', on)).toBeNull();
    expect(on.runs).toBe(1);
  });

  it('off with GNUPGHOME: that keyring works', async () => {
    const c = testContext({ GNUPGHOME: await gnupgHome(), ...OFF }, true);
    expect(await pgp.unwrap({ fingerprint: PGP_FP }, await pgp.wrap({ fingerprint: PGP_FP }, part, c), c)).toEqual(
      part,
    );
  });
});

describe('a whole file with age and hc_vault keys', () => {
  it('decrypts with the ambient files in HOME; with ambient off it finds no identity at all', async () => {
    const [transit = ''] = await transitKeys(['ambient-file']);
    const uri = /^(.*)\/v1\/(.*)\/keys\/(.*)$/.exec(transit) ?? [];
    const keyGroups = [
      [
        { type: 'age', fields: { recipient: ssh.recipient } },
        { type: 'age', fields: { recipient: x25519.recipient } },
        { type: 'hc_vault', fields: { vault_address: uri[1], engine_path: uri[2], key_name: uri[3] } },
      ],
    ];
    const plain = new TextEncoder().encode('password: hunter2\n');
    const options = { inputFormat: 'yaml' as const, keyGroups, shamirThreshold: 0, selection: null };
    const sealed = await encryptBytes(
      plain,
      { ...options, macOnlyEncrypted: false },
      ctx({ VAULT_TOKEN: rigEnv(ENV.vaultToken) }),
    );
    for (const order of ['age', 'hc_vault']) {
      const opened = await decryptBytes(sealed, { inputFormat: 'yaml', decryptionOrder: [order] }, ctx({ HOME: home }));
      expect(opened.output).toEqual(plain);
    }
    const err = await decryptBytes(sealed, { inputFormat: 'yaml' }, ctx({ HOME: home, ...OFF })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataKeyError);
    const attempts = (err as DataKeyError).groups.flatMap((g) => g.attempts.map((a) => a.reason));
    expect(attempts).toEqual([
      'no identity for this key is available',
      'no identity for this key is available',
      expect.stringContaining('no Vault token (set VAULT_TOKEN;'),
    ]);
    expect((err as Error).message).not.toContain(rigEnv(ENV.vaultToken));
  });
});
