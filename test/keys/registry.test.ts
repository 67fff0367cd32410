/**
 * Every master key in src/keys (a `<id>.ts` file, or a `<id>/` folder with an
 * index.ts) is registered under its wire id (name with `-` for `_`), ids are
 * unique, and each loads lazily as a valid key type.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyTypeIds, loadKeyType } from '../../src/keys/index.js';
import { REPO } from '../helpers/proc.js';

const KEYS = join(REPO, 'src', 'keys');
const files = readdirSync(KEYS, { withFileTypes: true })
  .flatMap((e) => {
    if (e.isFile() && e.name.endsWith('.ts') && e.name !== 'index.ts') return [e.name.slice(0, -3)];
    return e.isDirectory() && existsSync(join(KEYS, e.name, 'index.ts')) ? [e.name] : [];
  })
  .map((name) => name.replaceAll('-', '_'));

describe('key type registry', () => {
  it('lists every provider file exactly once', () => {
    expect([...keyTypeIds].sort()).toEqual([...files].sort());
    expect(new Set(keyTypeIds).size).toBe(keyTypeIds.length);
  });

  it.each(files)('%s loads and declares the id of its file', async (id) => {
    const type = await loadKeyType(id);
    expect(type?.id).toBe(id);
    expect(typeof type?.wrap).toBe('function');
    expect(typeof type?.unwrap).toBe('function');
  });

  it('returns undefined for an unknown id', async () => {
    expect(await loadKeyType('no_such_key')).toBeUndefined();
  });
});
