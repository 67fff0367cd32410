import { describe, expect, it } from 'vitest';
import { DecryptValueError, FormatError } from '../../src/errors.js';
import { formatSealed, newIv, open, parseSealed, seal } from '../../src/sops/cipher.js';

const KEY = new Uint8Array(32).fill(0x66); // 32 × 'f', the sops cipher test key
const VECTOR =
  'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]';

describe('AES-256-GCM values', () => {
  it('decrypts the sops test vector with AAD bar:', () => {
    const sealed = parseSealed(VECTOR, 'bar');
    expect(sealed.iv).toHaveLength(32);
    expect(Buffer.from(open(KEY, sealed, 'bar:', 'bar')).toString()).toBe('foo');
  });

  it('fails with a wrong AAD, without echoing the value', () => {
    expect(() => open(KEY, parseSealed(VECTOR, 'bar'), '', 'bar')).toThrow(DecryptValueError);
    try {
      open(KEY, parseSealed(VECTOR, 'bar'), 'baz:', 'bar');
    } catch (err) {
      expect(String(err)).not.toContain('foo');
    }
  });

  it('round-trips with a fresh 32-byte IV and formats like sops', () => {
    const sealed = seal(KEY, Buffer.from('secret value'), 'a:b:', 'str');
    const text = formatSealed(sealed);
    expect(text).toMatch(
      /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]{44},tag:[A-Za-z0-9+/=]{24},type:str\]$/,
    );
    expect(Buffer.from(open(KEY, parseSealed(text, 'a.b'), 'a:b:', 'a.b')).toString()).toBe('secret value');
  });

  it('reuses a given IV to give byte-identical ciphertext', () => {
    const first = seal(KEY, Buffer.from('same'), 'k:', 'str');
    const again = seal(KEY, Buffer.from('same'), 'k:', 'str', first.iv);
    expect(formatSealed(again)).toBe(formatSealed(first));
  });

  it('rejects text that is not an ENC value', () => {
    expect(() => parseSealed('plain text', 'x')).toThrow(FormatError);
    expect(() => parseSealed('ENC[AES256_GCM,data:!!,iv:AA==,tag:AA==,type:str]', 'x')).toThrow(DecryptValueError);
  });

  it('never hands out the same IV twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const iv = newIv();
      expect(iv).toHaveLength(32);
      seen.add(Buffer.from(iv).toString('hex'));
    }
    expect(seen.size).toBe(5000);
  });
});
