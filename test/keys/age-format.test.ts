/**
 * keyward's own age v1 implementation (format.ts, x25519.ts, armor.ts, bech32.ts)
 * against the real age 1.3.1: X25519 files in both directions, payloads of several
 * 64 KiB chunks, keys from age-keygen, and typed errors for every kind of damage.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { armorDecode, armorEncode } from '../../src/keys/age/armor.js';
import { bech32Decode, bech32Encode } from '../../src/keys/age/bech32.js';
import { decryptFile, encryptFile, NoIdentityMatch } from '../../src/keys/age/format.js';
import { keyType } from '../../src/keys/age/index.js';
import { parseX25519Recipient, x25519Identity, x25519Recipient } from '../../src/keys/age/x25519.js';
import { testContext } from '../helpers/context.js';
import { run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir('keyward-age-format-');
const keyFile = join(dir, 'key.txt');
let secret = '';
let recipient = '';

beforeAll(async () => {
  const gen = await run(toolPath('age-keygen'), ['-o', keyFile]);
  expect(gen.code).toBe(0);
  secret =
    readFileSync(keyFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';
  recipient = (await run(toolPath('age-keygen'), ['-y', keyFile])).stdout.trim();
});

function identity() {
  const id = x25519Identity(secret);
  if (!id) throw new Error('age-keygen wrote an identity keyward cannot read');
  return id;
}

function toRecipient(text: string) {
  const raw = parseX25519Recipient(text);
  if (!raw) throw new Error(`not a recipient: ${text}`);
  return x25519Recipient(raw);
}

describe('age X25519 files against the real age', () => {
  it('an identity from age-keygen yields the recipient age-keygen -y prints', () => {
    expect(identity().recipient).toBe(recipient);
  });

  it.each([0, 32, 65_536, 200_000])('keyward encrypts %i bytes, age -d decrypts them', async (size) => {
    const data = new Uint8Array(randomBytes(size));
    const file = join(dir, `kw-${size}.age`);
    writeFileSync(file, await encryptFile([toRecipient(recipient)], data));
    const out = await run(toolPath('age'), ['-d', '-i', keyFile, file]);
    expect(out.stderr).toBe('');
    expect(Buffer.compare(out.stdoutBytes, Buffer.from(data))).toBe(0);
  });

  it.each([0, 32, 65_536, 200_000])('age encrypts %i bytes, keyward decrypts them', async (size) => {
    const data = randomBytes(size);
    const plain = join(dir, `plain-${size}`);
    writeFileSync(plain, data);
    const out = await run(toolPath('age'), ['-e', '-r', recipient, plain]);
    expect(Buffer.compare(Buffer.from(await decryptFile([identity()], out.stdoutBytes)), data)).toBe(0);
  });

  it('the armored form sops stores: keyward wraps, age -d reads it; age -a wraps, keyward unwraps', async () => {
    const part = new Uint8Array(randomBytes(32));
    const armored = await keyType.wrap({ recipient }, part, testContext());
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/);
    const file = join(dir, 'wrapped.txt');
    writeFileSync(file, armored);
    const out = await run(toolPath('age'), ['-d', '-i', keyFile, file]);
    expect(Buffer.compare(out.stdoutBytes, Buffer.from(part))).toBe(0);
    writeFileSync(join(dir, 'part'), part);
    const theirs = await run(toolPath('age'), ['-e', '-a', '-r', recipient, join(dir, 'part')]);
    const ctx = testContext({ SOPS_AGE_KEY: secret });
    expect(await keyType.unwrap({ recipient }, theirs.stdout, ctx)).toEqual(part);
  });
});

describe('damaged age files are typed errors', () => {
  async function sample(): Promise<Uint8Array> {
    return encryptFile([toRecipient(recipient)], new Uint8Array(randomBytes(32)));
  }

  it('another identity: NoIdentityMatch', async () => {
    const other = x25519Identity(bech32Encode('age-secret-key-', new Uint8Array(randomBytes(32))).toUpperCase());
    await expect(decryptFile(other ? [other] : [], await sample())).rejects.toBeInstanceOf(NoIdentityMatch);
  });

  it('any flipped byte in the header or the payload', async () => {
    const file = await sample();
    const headerEnd = Buffer.from(file).indexOf('\n---') + 6;
    for (const at of [0, 30, headerEnd, file.length - 1]) {
      const bad = Uint8Array.from(file);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      await expect(decryptFile([identity()], bad)).rejects.toThrow(/age:/);
    }
  });

  it('a truncated file', async () => {
    const file = await sample();
    for (const len of [10, file.length - 17, file.length - 1]) {
      await expect(decryptFile([identity()], file.subarray(0, len))).rejects.toBeInstanceOf(FormatError);
    }
  });

  it('armor without markers, with a short inner line or with non-canonical base64', async () => {
    const good = armorEncode(new Uint8Array(randomBytes(100)));
    expect(armorDecode(`\n  ${good}  \n`)).toHaveLength(100);
    expect(() => armorDecode(good.replace('-----BEGIN', '-----START'))).toThrow(FormatError);
    const lines = good.split('\n');
    lines[1] = (lines[1] ?? '').slice(1);
    expect(() => armorDecode(lines.join('\n'))).toThrow(FormatError);
    expect(() => armorDecode(good.replace(/=*\n-----END/, '!\n-----END'))).toThrow(FormatError);
  });

  it('bech32: a wrong checksum, mixed case or the wrong prefix is no key', () => {
    const text = bech32Encode('age', new Uint8Array(32));
    expect(bech32Decode(text)?.data).toEqual(new Uint8Array(32));
    expect(parseX25519Recipient(`${text.slice(0, -1)}${text.endsWith('q') ? 'p' : 'q'}`)).toBeUndefined();
    expect(parseX25519Recipient(text.toUpperCase())).toBeUndefined();
    expect(x25519Identity(secret.toLowerCase())).toBeUndefined();
    expect(x25519Identity(bech32Encode('age', new Uint8Array(32)).toUpperCase())).toBeUndefined();
  });
});
