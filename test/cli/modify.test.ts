/**
 * Changing encrypted files through the CLI: set/unset touch only the changed
 * value's line (plus lastmodified and mac), rotate re-keys, updatekeys follows
 * .sops.yaml without touching values, filestatus and --extract report like sops.
 */

import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_AGE_KEY, freshAgeKey } from '../helpers/keys.js';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const EXAMPLE = join(REPO, 'examples', 'secrets.enc.yaml');
const env = { env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY } };
const copy = (name: string) => {
  const file = join(dir, name);
  copyFileSync(EXAMPLE, file);
  return file;
};
const changedLines = (a: string, b: string) => {
  const left = a.split('\n');
  const right = b.split('\n');
  return {
    removed: left.filter((l) => !right.includes(l)).map((l) => l.split(':')[0]?.trim()),
    added: right.filter((l) => !left.includes(l)).map((l) => l.split(':')[0]?.trim()),
  };
};
const sopsDecrypt = (file: string) => run(toolPath('sops'), ['decrypt', file], env);

describe('set and unset', () => {
  it('set changes only that value, lastmodified and mac; sops reads the result', async () => {
    const file = copy('set.enc.yaml');
    const res = await keyward(['set', file, '["database"]["password"]', '"n3w-pa55"'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const diff = changedLines(readFileSync(EXAMPLE, 'utf8'), readFileSync(file, 'utf8'));
    expect(diff.removed.sort()).toEqual(['lastmodified', 'mac', 'password']);
    expect(diff.added.sort()).toEqual(['lastmodified', 'mac', 'password']);
    expect((await sopsDecrypt(file)).stdout).toContain('password: n3w-pa55');
  });

  it('set adds new keys, takes JSON objects, and rejects invalid JSON with exit 7', async () => {
    const file = copy('set2.enc.yaml');
    expect((await keyward(['set', file, '["extra"]', '{"a": 1, "b": [true, "x"]}'], env)).code).toBe(0);
    const out = (await sopsDecrypt(file)).stdout;
    expect(out).toContain('extra:\n    a: 1\n    b:\n        - true\n        - x\n');
    const bad = await keyward(['set', file, '["x"]', 'not json'], env);
    expect(bad.code).toBe(7);
    expect((await keyward(['set', file, 'no-brackets', '1'], env)).code).toBe(8);
  });

  it('set --idempotent leaves the file alone when the value is already there', async () => {
    const file = copy('idem.enc.yaml');
    const before = readFileSync(file, 'utf8');
    expect((await keyward(['set', '--idempotent', file, '["database"]["username"]', '"app"'], env)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('unset removes a key; a missing key fails unless --idempotent', async () => {
    const file = copy('unset.enc.yaml');
    expect((await keyward(['unset', file, '["api_token"]'], env)).code).toBe(0);
    expect((await sopsDecrypt(file)).stdout).not.toContain('api_token');
    expect((await keyward(['unset', file, '["api_token"]'], env)).code).not.toBe(0);
    expect((await keyward(['unset', '--idempotent', file, '["api_token"]'], env)).code).toBe(0);
  });
});

describe('rotate and updatekeys', () => {
  it('rotate gives every value a new ciphertext under a new data key', async () => {
    const file = copy('rotate.enc.yaml');
    const extra = await freshAgeKey(dir, 'extra');
    const res = await keyward(['rotate', '-i', '--add-age', extra.recipient, file], env);
    expect(res.code).toBe(0);
    const before: string[] = readFileSync(EXAMPLE, 'utf8').match(/ENC\[[^\]]+\]/g) ?? [];
    const after = readFileSync(file, 'utf8').match(/ENC\[[^\]]+\]/g) ?? [];
    expect(after.filter((v) => before.includes(v))).toEqual([]);
    const plain = (await sopsDecrypt(EXAMPLE)).stdout;
    expect((await sopsDecrypt(file)).stdout).toBe(plain);
    const withExtra = await run(toolPath('sops'), ['decrypt', file], { env: { SOPS_AGE_KEY_FILE: extra.file } });
    expect(withExtra.stdout).toBe(plain);
    const removed = await keyward(['rotate', '-i', '--rm-age', extra.recipient, file], env);
    expect(removed.code).toBe(0);
    expect((await run(toolPath('sops'), ['decrypt', file], { env: { SOPS_AGE_KEY_FILE: extra.file } })).code).toBe(128);
  });

  it('updatekeys re-wraps for the .sops.yaml keys and leaves values and MAC alone', async () => {
    const project = join(dir, 'update');
    mkdirSync(project, { recursive: true });
    const added = await freshAgeKey(dir, 'added');
    const devRecipient = /public key: (age1\w+)/.exec(readFileSync(DEV_AGE_KEY, 'utf8'))?.[1] ?? '';
    writeFileSync(join(project, '.sops.yaml'), `creation_rules:\n  - age: ${devRecipient},${added.recipient}\n`);
    const file = join(project, 'secrets.enc.yaml');
    copyFileSync(EXAMPLE, file);
    const res = await keyward(['updatekeys', '-y', 'secrets.enc.yaml'], {
      cwd: project,
      env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY, SOPS_CONFIG: '' },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`+++ group 0: age ${added.recipient}`);
    const text = readFileSync(file, 'utf8');
    const mac = (t: string) => /mac: (.*)/.exec(t)?.[1];
    expect(mac(text)).toBe(mac(readFileSync(EXAMPLE, 'utf8')));
    expect((await run(toolPath('sops'), ['decrypt', file], { env: { SOPS_AGE_KEY_FILE: added.file } })).code).toBe(0);
    const again = await keyward(['updatekeys', '-y', 'secrets.enc.yaml'], {
      cwd: project,
      env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY, SOPS_CONFIG: '' },
    });
    expect(again.stderr).toMatch(/already up to date/);
  });
});

describe('filestatus and --extract', () => {
  it('filestatus says whether a file is encrypted', async () => {
    expect((await keyward(['filestatus', EXAMPLE])).stdout).toBe('{"encrypted":true}\n');
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, 'a: 1\n');
    expect((await keyward(['filestatus', plain])).stdout).toBe('{"encrypted":false}\n');
  });

  it('--extract prints a string raw and other values like sops', async () => {
    for (const path of [
      '["database"]["password"]',
      '["database"]',
      '["feature_flags"]',
      '["database"]["port"]',
      '["tls"]["enabled"]',
    ]) {
      const ours = await keyward(['decrypt', '--extract', path, EXAMPLE], env);
      const theirs = await run(toolPath('sops'), ['decrypt', '--extract', path, EXAMPLE], env);
      expect(ours.stdout, path).toBe(theirs.stdout);
    }
    expect((await keyward(['decrypt', '--extract', '["nope"]', EXAMPLE], env)).code).not.toBe(0);
  });

  it('writes keep the file mode', async () => {
    const file = copy('mode.enc.yaml');
    await run('chmod', ['640', file]);
    await keyward(['set', file, '["k"]', '"v"'], env);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});
