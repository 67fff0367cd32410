/**
 * The IV stash: unchanged values keep their ciphertext after set/edit, equal values in
 * one list keep their own IVs (sops 3.13.2 gives them all the last one it read, which
 * rewrites lines nobody touched and shows which values are equal), and no IV is used twice.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IvStash, type SealPlan } from '../../src/sops/iv-stash.js';
import { freshAgeKey } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const plan = (aad: string, value: string): SealPlan => ({ aad, type: 'str', plaintext: Buffer.from(value) });
const iv = (n: number) => new Uint8Array(32).fill(n);
const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('hex'));

/** A stash that read `values` (all under AAD `a:`) at leaves 0, 1, 2, … with IVs 1, 2, 3, … */
function stashOf(values: string[]): IvStash {
  const stash = new IvStash();
  values.forEach((value, i) => {
    stash.remember('a:', 'str', Buffer.from(value), iv(i + 1), i);
  });
  return stash;
}

describe('IV stash', () => {
  it('gives equal values their own IVs back, position by position', () => {
    const ivs = stashOf(['t', 'x', 't', 't']).assign(['t', 'x', 't', 't'].map((v) => plan('a:', v)));
    expect(ivs.map(hex)).toEqual([1, 2, 3, 4].map((n) => hex(iv(n))));
  });

  it('a value changed to equal another gets a fresh IV and leaves the others alone', () => {
    const ivs = stashOf(['t', 'x', 't']).assign(['t', 't', 't'].map((v) => plan('a:', v)));
    expect(hex(ivs[0])).toBe(hex(iv(1)));
    expect(hex(ivs[2])).toBe(hex(iv(3)));
    expect([hex(iv(1)), hex(iv(2)), hex(iv(3))]).not.toContain(hex(ivs[1]));
  });

  it('values that moved (a line inserted above) keep their IVs, in order, each used once', () => {
    const ivs = stashOf(['t', 'y', 't']).assign([plan('a:', 'new'), plan('a:', 't'), plan('a:', 'y'), plan('a:', 't')]);
    expect(ivs.slice(1).map(hex)).toEqual([1, 2, 3].map((n) => hex(iv(n))));
    expect(new Set(ivs.map(hex)).size).toBe(4);
  });

  it('matches AAD, type and plaintext: a different path or type gets a fresh IV', () => {
    const ivs = stashOf(['t']).assign([plan('b:', 't'), { ...plan('a:', 't'), type: 'int' }, undefined]);
    expect(ivs[2]).toBeUndefined();
    expect(ivs.slice(0, 2).map(hex)).not.toContain(hex(iv(1)));
  });

  it('can be asked twice (edit tries again after a bad save) with the same answer', () => {
    const stash = stashOf(['t', 't']);
    const plans = [plan('a:', 'n'), plan('a:', 't'), plan('a:', 't')];
    const first = stash.assign(plans).slice(1).map(hex);
    expect(stash.assign(plans).slice(1).map(hex)).toEqual(first);
  });
});

describe('set on a sops file with equal values in a list', () => {
  it('changes only the set line, lastmodified and mac; equal values keep distinct ciphertexts', async () => {
    const dir = tempDir();
    const key = await freshAgeKey(dir, 'dup');
    const env = { env: { SOPS_AGE_KEY_FILE: key.file } };
    const plain = join(dir, 'dup.json');
    writeFileSync(plain, '{"a": [7, "x", 7, true, "x", true], "b": "y"}\n');
    const encrypted = await run(toolPath('sops'), ['encrypt', '--age', key.recipient, plain], env);
    expect(encrypted.code).toBe(0);
    const file = join(dir, 'dup.enc.json');
    writeFileSync(file, encrypted.stdout);
    expect((await keyward(['set', file, '["b"]', '"z"'], env)).code).toBe(0);
    const before = encrypted.stdout.split('\n');
    const after = readFileSync(file, 'utf8').split('\n');
    const changed = after.filter((line, i) => line !== before[i]).map((line) => line.trim().split('"')[1]);
    // lastmodified too, unless sops wrote the file in the same second
    expect(changed.filter((name) => name !== 'lastmodified').sort()).toEqual(['b', 'mac']);
    const listLines = after.filter((line) => line.startsWith('\t\t"ENC['));
    expect(new Set(listLines).size).toBe(6);
    expect((await run(toolPath('sops'), ['decrypt', file], env)).stdout).toBe(
      '{\n\t"a": [\n\t\t7,\n\t\t"x",\n\t\t7,\n\t\ttrue,\n\t\t"x",\n\t\ttrue\n\t],\n\t"b": "z"\n}\n',
    );
  });
});
