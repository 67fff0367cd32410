/**
 * Every master key file in src/keys is registered under its wire id (file name
 * with `-` for `_`), ids are unique, and each loads lazily as a valid key type.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyTypeIds, loadKeyType } from '../../src/keys/index.js';
import { REPO } from '../helpers/proc.js';

const files = readdirSync(join(REPO, 'src', 'keys'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3).replaceAll('-', '_'));

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
