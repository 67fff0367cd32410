/**
 * The pgp key type against the real gpg binary: it unwraps the data keys of real
 * sops files, wraps parts that plain gpg decrypts, tells "no secret key here"
 * from a broken message or a locked key, and never leaks enc text or key bytes.
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, FormatError, KeywardError } from '../../src/errors.js';
import { keyType } from '../../src/keys/pgp.js';
import { decryptTree } from '../../src/sops/decrypt.js';
import { type KeyEntry, readMetadata } from '../../src/sops/metadata.js';
import { yamlStore } from '../../src/sops/stores/yaml.js';
import type { Context, RunOptions } from '../../src/types.js';
import { realRun, testContext } from '../helpers/context.js';
import { CONFORMANCE, run, tempDir } from '../helpers/proc.js';

const FP1 = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';
const FP2 = 'D7229043384BCC60326C6FB9D8720D957C3D3074';
const FP3_PUBLIC_ONLY = 'B611A2F9F11D0FF82568805119F9B5DAEA91FF86';
const FP1_SUBKEY = '71D962851765394F76DB9CFC25294A17CD90507F';
const DATA_KEY = '8c68886c50b5b72965a3cb99c5172e1d74a8aca27b39ee880b535d6907e59f68';
const ARMOR = /^-----BEGIN PGP MESSAGE-----\n\n[\s\S]+\n-----END PGP MESSAGE-----\n$/;

function gnupgHome(): string {
  const dir = tempDir('keyward-pgp-');
  chmodSync(dir, 0o700);
  return dir;
}

const home = gnupgHome();
const emptyHome = gnupgHome();
const lockedHome = gnupgHome();
const ctx = testContext({ GNUPGHOME: home }, true);
const locked = testContext({ GNUPGHOME: lockedHome }, true);
let lockedFp = '';
const example = yamlStore.parseEncrypted(readFileSync(join(CONFORMANCE, 'example.yaml')));
const metadata = readMetadata(example.metadata);
const pgpEntries = (metadata.keyGroups[0] ?? []).filter((k) => k.type === 'pgp');

function gpg(dir: string, args: string[], input?: string | Buffer) {
  return run('gpg', ['--batch', ...args], { env: { GNUPGHOME: dir }, input });
}

/** A stand-in gpg that reads its input (so the pipe stays open) and exits with `code`, printing nothing. */
function fakeGpg(name: string, code: number): string {
  const path = join(emptyHome, name);
  writeFileSync(path, `#!/bin/sh\ncat >/dev/null\nexit ${code}\n`, { mode: 0o755 });
  return path;
}

function entryFor(fp: string): KeyEntry {
  const entry = pgpEntries.find((e) => e.fields.fp === fp);
  if (!entry) throw new Error(`example.yaml has no pgp entry for ${fp}`);
  return entry;
}

/** Key ids gpg reads from a message's headers, without decrypting it. */
async function recipients(enc: string): Promise<string[]> {
  const res = await gpg(emptyHome, ['--list-only', '--status-fd', '1', '-d'], enc);
  return [...res.stdout.matchAll(/\[GNUPG:\] ENC_TO ([0-9A-F]{16})/g)].map((m) => m[1] ?? '');
}

/** The thrown error, asserted to be a KeywardError. */
async function failure(promise: Promise<unknown>): Promise<KeywardError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardError);
  return err as KeywardError;
}

/** True when `message` holds any 10-character piece of the armored body of `enc`. */
function quotesEnc(message: string, enc: string): boolean {
  const body = enc.split('\n').filter((l) => /^[A-Za-z0-9+/=]{10,}$/.test(l));
  return body.some((line) => {
    for (let i = 0; i + 10 <= line.length; i++) if (message.includes(line.slice(i, i + 10))) return true;
    return false;
  });
}

beforeAll(async () => {
  const keys = join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc');
  expect((await gpg(home, ['--import', keys])).code).toBe(0);
  // A user's default extra recipient: wrap must not add it (--no-encrypt-to).
  writeFileSync(join(home, 'gpg.conf'), `encrypt-to ${FP2}\n`);
  writeFileSync(join(lockedHome, 'gpg-agent.conf'), 'pinentry-program /bin/false\n');
  const gen = ['--passphrase', 'pw', '--quick-gen-key', 'Locked <locked@example.com>', 'future-default', 'default'];
  expect((await gpg(lockedHome, gen)).code).toBe(0);
  const listed = await gpg(lockedHome, ['--with-colons', '--list-keys']);
  lockedFp = /^fpr:+([0-9A-F]{40}):/m.exec(listed.stdout)?.[1] ?? '';
  expect(lockedFp).toMatch(/^[0-9A-F]{40}$/);
});

afterAll(async () => {
  for (const dir of [home, emptyHome, lockedHome]) {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env: { GNUPGHOME: dir } });
  }
});

describe('pgp refs and flags', () => {
  it('reads fp from metadata, removing spaces and keeping the rest as given', () => {
    expect(keyType.id).toBe('pgp');
    expect(keyType.hasCreatedAt).toBe(true);
    expect(keyType.parseRef({ fp: FP1 })).toEqual({ fingerprint: FP1 });
    expect(keyType.parseRef({ fp: ' FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4 ' })).toEqual({
      fingerprint: FP1,
    });
    expect(keyType.parseRef({ fp: `${FP1_SUBKEY}!` }).fingerprint).toBe(`${FP1_SUBKEY}!`);
    expect(keyType.parseRef({ fp: FP1.toLowerCase() }).fingerprint).toBe(FP1.toLowerCase());
    expect(() => keyType.parseRef({})).toThrow(FormatError);
    expect(() => keyType.parseRef({ fp: 42 })).toThrow(/^pgp: key entry has no fp$/);
    expect(() => keyType.parseRef({ fp: '  ' })).toThrow(FormatError);
  });

  it('writes fp back and describes the key by its fingerprint', () => {
    const ref = keyType.parseRef({ fp: FP2 });
    expect(keyType.formatRef(ref)).toEqual({ fp: FP2 });
    expect(keyType.describe(ref)).toBe(`pgp ${FP2}`);
  });

  it('accepts --pgp entries of 40 or 16 hex digits, optionally ending in !', () => {
    const parse = (text: string) => (keyType.parseFlag?.(text) as { fingerprint: string } | undefined)?.fingerprint;
    expect(parse(FP1)).toBe(FP1);
    expect(parse(`  ${FP2}\n`)).toBe(FP2);
    expect(parse('FBC7 B9E2 A4F9 289A C0C1 D484 3D16 CEE4 A273 81B4')).toBe(FP1);
    expect(parse('3D16CEE4A27381B4')).toBe('3D16CEE4A27381B4');
    expect(parse(`${FP1_SUBKEY}!`)).toBe(`${FP1_SUBKEY}!`);
    expect(parse(FP1.toLowerCase())).toBe(FP1.toLowerCase());
  });

  it.each([
    ['empty', ''],
    ['39 digits', FP1.slice(1)],
    ['41 digits', `${FP1}0`],
    ['17 digits', '03D16CEE4A27381B4'],
    ['not hex', FP1.replace('F', 'G')],
    ['a 0x prefix', `0x${FP1.slice(-16)}`],
    ['two !', `${FP1}!!`],
    ['! in the middle', `${FP1.slice(0, 20)}!${FP1.slice(20)}`],
    ['an age recipient', 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun'],
  ])('rejects a --pgp entry with %s', (_what, text) => {
    expect(() => keyType.parseFlag?.(text)).toThrow(ConfigError);
    expect(() => keyType.parseFlag?.(text)).toThrow(/^pgp: .* is not a pgp fingerprint/);
  });
});

describe('pgp unwrap of real sops files', () => {
  it.each([FP1, FP2])('unwraps the example.yaml data key with %s', async (fp) => {
    const entry = entryFor(fp);
    const part = await keyType.unwrap(keyType.parseRef(entry.fields), entry.enc, ctx);
    expect(Buffer.from(part ?? []).toString('hex')).toBe(DATA_KEY);
  });

  it('returns null when GNUPGHOME holds no secret key for the message', async () => {
    const entry = entryFor(FP1);
    const other = testContext({ GNUPGHOME: emptyHome }, true);
    expect(await keyType.unwrap(keyType.parseRef(entry.fields), entry.enc, other)).toBeNull();
  });

  it('decrypts the whole file with the unwrapped key', async () => {
    const entry = entryFor(FP1);
    const key = await keyType.unwrap(keyType.parseRef(entry.fields), entry.enc, ctx);
    if (!key) throw new Error('no key');
    const tree = decryptTree({ tree: { documents: example.documents }, metadata }, key, ctx.log);
    const myapp1 = tree.documents[0]?.items.find((i) => 'key' in i && i.key === 'myapp1');
    expect(myapp1).toEqual({ key: 'myapp1', value: { t: 'str', v: 't00m4nys3cr3tzupdated' } });
    expect(ctx.logged.join('\n')).not.toContain(DATA_KEY);
  });
});

describe('pgp wrap', () => {
  it('wraps a part for one key that plain gpg decrypts to the same bytes', async () => {
    const part = new Uint8Array(randomBytes(32));
    const ref = keyType.parseRef({ fp: FP1 });
    const enc = await keyType.wrap(ref, part, ctx);
    expect(enc).toMatch(ARMOR);
    expect(await recipients(enc)).toEqual(['25294A17CD90507F']);
    expect(await keyType.unwrap(ref, enc, ctx)).toEqual(part);
    const plain = await gpg(home, ['--quiet', '-d'], enc);
    expect(plain.code).toBe(0);
    expect(new Uint8Array(plain.stdoutBytes)).toEqual(part);
  });

  it('wraps a 33-byte share to a 16-digit key id and a ! subkey', async () => {
    const share = new Uint8Array(randomBytes(33));
    const byId = await keyType.wrap({ fingerprint: 'D8720D957C3D3074' }, share, ctx);
    expect(await recipients(byId)).toEqual(['5C5525B581705783']);
    expect(await keyType.unwrap({ fingerprint: FP2 }, byId, ctx)).toEqual(share);
    const bySubkey = await keyType.wrap({ fingerprint: `${FP1_SUBKEY}!` }, share, ctx);
    expect(await recipients(bySubkey)).toEqual(['25294A17CD90507F']);
    expect(await keyType.unwrap({ fingerprint: FP1 }, bySubkey, ctx)).toEqual(share);
  });

  it('wraps to a public-only key, which cannot be unwrapped here', async () => {
    const ref = { fingerprint: FP3_PUBLIC_ONLY };
    const enc = await keyType.wrap(ref, new Uint8Array(32), ctx);
    expect(enc).toMatch(ARMOR);
    expect(await keyType.unwrap(ref, enc, ctx)).toBeNull();
  });

  it('fails with the reason when gpg has no public key, never with the part', async () => {
    const part = new Uint8Array(randomBytes(32));
    const other = testContext({ GNUPGHOME: emptyHome }, true);
    const err = await failure(keyType.wrap({ fingerprint: FP1 }, part, other));
    expect(err).toBeInstanceOf(ConfigError);
    // gpg's last two lines, the fingerprint it quotes cut out and `[stdin]: ` dropped.
    expect(err.message).toBe(
      `pgp ${FP1}: gpg could not encrypt (…: skipped: No public key; encryption failed: No public key)`,
    );
    expect(err.message).not.toContain(Buffer.from(part).toString('hex'));
    expect(err.message).not.toContain(Buffer.from(part).toString('base64'));
  });
});

describe('pgp program runs', () => {
  it('runs gpg through ctx.run with GNUPGHOME, the input and the context signal', async () => {
    const controller = new AbortController();
    const calls: { command: string; args: readonly string[]; options: RunOptions | undefined }[] = [];
    const watched: Context = {
      ...ctx,
      signal: controller.signal,
      run: (command, args, options) => {
        calls.push({ command, args, options });
        return realRun(command, args, options);
      },
    };
    const part = new Uint8Array(randomBytes(32));
    const enc = await keyType.wrap({ fingerprint: FP1 }, part, watched);
    expect(await keyType.unwrap({ fingerprint: FP1 }, enc, watched)).toEqual(part);
    const [wrapCall, unwrapCall] = calls;
    expect(wrapCall?.command).toBe('gpg');
    expect(wrapCall?.args).toEqual([
      ...['--batch', '--quiet', '--no-default-recipient', '--yes', '--encrypt', '-a'],
      ...['-r', FP1, '--trusted-key', '3D16CEE4A27381B4', '--no-encrypt-to'],
    ]);
    expect(wrapCall?.options).toEqual({ input: part, env: { GNUPGHOME: home }, signal: controller.signal });
    expect(unwrapCall?.args.at(-1)).toBe('-d');
    expect(unwrapCall?.options?.input).toEqual(new TextEncoder().encode(enc));
  });

  it('lets the error of a cancelled run through unchanged', async () => {
    const controller = new AbortController();
    controller.abort();
    const cancelled = new Error('the operation was aborted');
    const aborted: Context = { ...ctx, signal: controller.signal, run: () => Promise.reject(cancelled) };
    await expect(keyType.unwrap({ fingerprint: FP1 }, 'x', aborted)).rejects.toBe(cancelled);
  });

  it('runs without a GNUPGHOME override when the setting is absent', async () => {
    const seen: (RunOptions | undefined)[] = [];
    const plain: Context = {
      ...testContext({}, true),
      run: (command, args, options) => {
        seen.push(options);
        return realRun(command, args, { ...options, env: { GNUPGHOME: home } });
      },
    };
    const enc = await keyType.wrap({ fingerprint: FP2 }, new Uint8Array(32), plain);
    expect(enc).toMatch(ARMOR);
    expect(seen[0]?.env).toBeUndefined();
  });
});

describe('pgp failures', () => {
  const entry = entryFor(FP1);
  const ref = keyType.parseRef(entry.fields);

  it.each([
    ['a changed body character', entry.enc.replace('ph1M5fLG', 'ph1M5fLH')],
    ['a body line read as an armor header', entry.enc.replace('-----\n\n', '-----\n')],
    ['no armored data', 'not a pgp message'],
    ['a truncated body', entry.enc.split('\n').slice(0, 5).join('\n')],
  ])('throws on %s without quoting enc or the key', async (_what, enc) => {
    const err = await failure(keyType.unwrap(ref, enc, ctx));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(new RegExp(`^pgp ${FP1}: gpg could not decrypt \\(.+\\)$`));
    expect(err.message.length).toBeLessThan(260);
    expect(quotesEnc(err.message, entry.enc)).toBe(false);
    expect(err.message).not.toContain(DATA_KEY);
    expect(err.message).not.toContain(Buffer.from(DATA_KEY, 'hex').toString('latin1'));
  });

  it('throws (not null) when the secret key is there but locked', async () => {
    const enc = await keyType.wrap({ fingerprint: lockedFp }, new Uint8Array(32), locked);
    const err = await failure(keyType.unwrap({ fingerprint: lockedFp }, enc, locked));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(new RegExp(`^pgp ${lockedFp}: gpg has the secret key but could not use it \\(`));
  });

  it('tells a locked key from a missing one by gpg status lines, whatever its language', async () => {
    const saved = { LANGUAGE: process.env.LANGUAGE, LC_ALL: process.env.LC_ALL };
    Object.assign(process.env, { LANGUAGE: 'de', LC_ALL: 'C.UTF-8' });
    try {
      const plain = await gpg(
        lockedHome,
        ['-d'],
        await keyType.wrap({ fingerprint: lockedFp }, new Uint8Array(32), locked),
      );
      expect(plain.stderr).toContain('fehlgeschlagen');
      expect(plain.stderr).not.toContain('public key decryption failed');
      const enc = await keyType.wrap({ fingerprint: lockedFp }, new Uint8Array(32), locked);
      const err = await failure(keyType.unwrap({ fingerprint: lockedFp }, enc, locked));
      expect(err.message).toMatch(/^pgp [0-9A-F]{40}: gpg has the secret key but could not use it \(/);
      const other = testContext({ GNUPGHOME: emptyHome }, true);
      expect(await keyType.unwrap(ref, entry.enc, other)).toBeNull();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('treats empty output with exit code 0 as a failure', async () => {
    const quiet = testContext({ GNUPGHOME: home, SOPS_GPG_EXEC: fakeGpg('silent', 0) }, true);
    const err = await failure(keyType.unwrap(ref, entry.enc, quiet));
    expect(err.message).toBe(`pgp ${FP1}: gpg could not decrypt (it returned no data)`);
    const wrapErr = await failure(keyType.wrap(ref, new Uint8Array(32), quiet));
    expect(wrapErr.message).toMatch(/^pgp .*: gpg could not encrypt \(its output is not an armored pgp message\)$/);
  });

  it('reports the exit code when gpg fails without a message', async () => {
    const failing = testContext({ GNUPGHOME: home, SOPS_GPG_EXEC: fakeGpg('failing', 1) }, true);
    const err = await failure(keyType.unwrap(ref, entry.enc, failing));
    expect(err.message).toBe(`pgp ${FP1}: gpg could not decrypt (exit code 1)`);
  });

  it('names the program and SOPS_GPG_EXEC when the gpg binary does not exist', async () => {
    const missing = join(emptyHome, 'no-such-gpg');
    const none = testContext({ GNUPGHOME: home, SOPS_GPG_EXEC: missing }, true);
    for (const attempt of [keyType.unwrap(ref, entry.enc, none), keyType.wrap(ref, new Uint8Array(32), none)]) {
      const err = await failure(attempt);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain(`pgp ${FP1}: the gpg program "${missing}" was not found`);
      expect(err.message).toContain('SOPS_GPG_EXEC');
    }
  });
});
