/**
 * Every secret backend in src/backends (a `<scheme>.ts` file, or a `<scheme>/`
 * folder with an index.ts) is registered under its scheme, schemes are unique,
 * each loads lazily, declares its settings, and validates them without I/O.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendSchemes, loadBackend } from '../../src/backends/index.js';
import { Settings } from '../../src/settings.js';
import { REPO } from '../helpers/proc.js';

const DIR = join(REPO, 'src', 'backends');
const files = readdirSync(DIR, { withFileTypes: true }).flatMap((e) => {
  if (e.isFile() && e.name.endsWith('.ts') && e.name !== 'index.ts') return [e.name.slice(0, -3)];
  return e.isDirectory() && existsSync(join(DIR, e.name, 'index.ts')) ? [e.name] : [];
});

describe('backend registry', () => {
  it('lists every backend file exactly once', () => {
    expect([...backendSchemes].sort()).toEqual([...files].sort());
    expect(new Set(backendSchemes).size).toBe(backendSchemes.length);
  });

  it.each(files)('%s loads, declares its scheme and settings', async (scheme) => {
    const backend = await loadBackend(scheme);
    expect(backend?.scheme).toBe(scheme);
    expect(Array.isArray(backend?.settings)).toBe(true);
    for (const spec of backend?.settings ?? []) expect(spec.description).not.toBe('');
  });

  it('settings are validated without I/O, with clear errors', async () => {
    const vault = await loadBackend('vault');
    expect(() => vault?.configure(new Settings())).toThrow('vault: VAULT_ADDR is not set');
    expect(() => vault?.configure(Settings.fromRecord({ VAULT_ADDR: 'ftp://x' }))).toThrow(
      'is not http(s)://host[:port]',
    );
    expect(() =>
      vault?.configure(Settings.fromRecord({ VAULT_ADDR: 'http://v:8200', KEYWARD_VAULT_AUTH: 'approle' })),
    ).toThrow('vault: approle needs AVP_ROLE_ID or VAULT_ROLE_ID');
    expect(() =>
      vault?.configure(Settings.fromRecord({ VAULT_ADDR: 'http://v:8200', KEYWARD_VAULT_AUTH: 'magic' })),
    ).toThrow('unknown auth method "magic"');
    const memory = await loadBackend('memory');
    expect(() => memory?.configure(Settings.fromRecord({ KEYWARD_MEMORY_SECRETS: '{' }))).toThrow('not JSON');
  });

  it('returns undefined for an unknown scheme', async () => {
    expect(await loadBackend('nope')).toBeUndefined();
  });
});
