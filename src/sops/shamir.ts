/**
 * Shamir secret sharing over GF(2^8) with the AES polynomial (0x11B), share layout
 * `[y…, x]` (x-coordinate in the last byte), as sops uses for key groups.
 * Arithmetic is constant-time shift-and-add.
 */

import { randomBytes } from 'node:crypto';
import { FormatError } from '../errors.js';

function mul(a: number, b: number): number {
  let r = 0;
  let x = a;
  let y = b;
  for (let i = 0; i < 8; i++) {
    r ^= -(y & 1) & x;
    const hi = (x >> 7) & 1;
    x = ((x << 1) ^ (-hi & 0x1b)) & 0xff;
    y >>= 1;
  }
  return r & 0xff;
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8); inverse(0) is 0 and never used with distinct non-zero x.
  let result = 1;
  let base = a;
  let exp = 254;
  while (exp > 0) {
    if (exp & 1) result = mul(result, base);
    base = mul(base, base);
    exp >>= 1;
  }
  return result;
}

/** Splits `secret` into `parts` shares needing `threshold` to recombine; share i has x = i+1. */
export function split(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (secret.length === 0) throw new FormatError('shamir: cannot split an empty secret');
  if (parts < 2 || parts > 255 || threshold < 2 || threshold > parts) {
    throw new FormatError(`shamir: need 2 <= threshold (${threshold}) <= parts (${parts}) <= 255`);
  }
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = i + 1;
    return share;
  });
  for (let b = 0; b < secret.length; b++) {
    const coeffs = new Uint8Array(randomBytes(threshold));
    coeffs[0] = secret[b] ?? 0;
    for (const share of shares) {
      const x = share[secret.length] ?? 0;
      let y = 0;
      for (let c = threshold - 1; c >= 0; c--) y = mul(y, x) ^ (coeffs[c] ?? 0);
      share[b] = y;
    }
  }
  return shares;
}

/** Recombines shares by Lagrange interpolation at x = 0. */
export function combine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new FormatError('shamir: need at least two shares');
  const len = shares[0]?.length ?? 0;
  if (len < 2 || shares.some((s) => s.length !== len)) throw new FormatError('shamir: shares differ in length');
  const xs = shares.map((s) => s[len - 1] ?? 0);
  if (new Set(xs).size !== xs.length) throw new FormatError('shamir: duplicate share');
  const out = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) {
      const xi = xs[i] ?? 0;
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        const xj = xs[j] ?? 0;
        basis = mul(basis, mul(xj, inverse(xi ^ xj)));
      }
      acc ^= mul(shares[i]?.[b] ?? 0, basis);
    }
    out[b] = acc;
  }
  return out;
}
