/**
 * YAML output matches the real sops byte for byte: files encrypted by sops decrypt
 * in keyward to exactly what `sops decrypt` prints, and files encrypted by keyward
 * decrypt in sops to the same text.
 */

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const KEY = join(REPO, 'examples', 'dev-age-key.txt');
const RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
const env = { env: { SOPS_AGE_KEY_FILE: KEY, SOPS_CONFIG: '/dev/null' } };
const FIXTURES = join(REPO, 'test', 'fixtures', 'yaml');

describe.each(readdirSync(FIXTURES))('YAML interop with sops: %s', (name) => {
  const source = join(FIXTURES, name);

  it('a sops-encrypted file decrypts in keyward exactly as in sops', async () => {
    const enc = await run(toolPath('sops'), ['encrypt', '--age', RECIPIENT, source], env);
    expect(enc.code).toBe(0);
    const file = join(dir, `sops-${name}`);
    writeFileSync(file, enc.stdout);
    const theirs = await run(toolPath('sops'), ['decrypt', file], env);
    const ours = await keyward(['decrypt', file], env);
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('a keyward-encrypted file decrypts in sops to the same text', async () => {
    const enc = await keyward(['encrypt', '--age', RECIPIENT, source], env);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const file = join(dir, `keyward-${name}`);
    writeFileSync(file, enc.stdout);
    const sopsEnc = await run(toolPath('sops'), ['encrypt', '--age', RECIPIENT, source], env);
    const reference = join(dir, `reference-${name}`);
    writeFileSync(reference, sopsEnc.stdout);
    const theirs = await run(toolPath('sops'), ['decrypt', file], env);
    expect(theirs.stderr).toBe('');
    expect(theirs.stdout).toBe((await run(toolPath('sops'), ['decrypt', reference], env)).stdout);
    const ours = await keyward(['decrypt', file], env);
    expect(ours.stdout).toBe(theirs.stdout);
  });
});
