import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { combine, split } from '../../src/sops/shamir.js';

describe('Shamir secret sharing (sops layout)', () => {
  it('puts x = i+1 in the last byte of share i', () => {
    const shares = split(new Uint8Array(randomBytes(32)), 3, 2);
    expect(shares.map((s) => s.length)).toEqual([33, 33, 33]);
    expect(shares.map((s) => s[32])).toEqual([1, 2, 3]);
  });

  it('recombines any threshold-sized subset over many random rounds', () => {
    for (let round = 0; round < 100; round++) {
      const secret = new Uint8Array(randomBytes(32));
      const shares = split(secret, 5, 3);
      const pick = [...shares].sort(() => Math.random() - 0.5).slice(0, 3);
      expect(Buffer.from(combine(pick)).equals(Buffer.from(secret))).toBe(true);
    }
  });

  it('does not recover the secret from fewer shares than the threshold', () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = split(secret, 3, 3);
    expect(Buffer.from(combine(shares.slice(0, 2))).equals(Buffer.from(secret))).toBe(false);
  });

  it('rejects bad parameters and duplicate shares', () => {
    expect(() => split(new Uint8Array(0), 3, 2)).toThrow(/empty/);
    expect(() => split(new Uint8Array(4), 2, 3)).toThrow(/threshold/);
    const shares = split(new Uint8Array(randomBytes(8)), 3, 2);
    const first = shares[0] ?? new Uint8Array();
    expect(() => combine([first, first])).toThrow(/duplicate/);
  });
});
