/**
 * `keyward decrypt` end to end through the built CLI, against a file made by the
 * real sops, with sops's exit codes; a canary secret must never reach stderr.
 */

import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyward, REPO, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const EXAMPLE = join(REPO, 'examples', 'secrets.enc.yaml');
const KEY = join(REPO, 'examples', 'dev-age-key.txt');
const CANARY = 'correct-horse-battery-staple';
const withKey = { env: { SOPS_AGE_KEY_FILE: KEY }, clean: true };
const noKey = { env: { HOME: dir }, clean: true };

describe('keyward decrypt', () => {
  it('decrypts the example byte-for-byte like the real sops', async () => {
    const ours = await keyward(['decrypt', EXAMPLE], withKey);
    const theirs = await run(toolPath('sops'), ['decrypt', EXAMPLE], withKey);
    expect(theirs.code).toBe(0);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toContain(`password: ${CANARY}`);
  });

  it('reads identities from SOPS_AGE_KEY and the default key file', async () => {
    const inline = await keyward(['decrypt', EXAMPLE], {
      env: { SOPS_AGE_KEY: readFileSync(KEY, 'utf8') },
      clean: true,
    });
    expect(inline.code).toBe(0);
    const home = join(dir, 'home');
    const config = join(home, '.config', 'sops', 'age');
    await run('mkdir', ['-p', config]);
    copyFileSync(KEY, join(config, 'keys.txt'));
    const fallback = await keyward(['decrypt', EXAMPLE], { env: { HOME: home }, clean: true });
    expect(fallback.code).toBe(0);
    expect(fallback.stdout).toContain(CANARY);
  });

  it('reads stdin and writes --output atomically with mode 0600', async () => {
    const out = join(dir, 'plain.yaml');
    const res = await keyward(['decrypt', '--input-type', 'yaml', '--output', out], {
      ...withKey,
      input: readFileSync(EXAMPLE),
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain(CANARY);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('decrypts in place, keeping the file mode', async () => {
    const file = join(dir, 'inplace.enc.yaml');
    copyFileSync(EXAMPLE, file);
    chmodSync(file, 0o640);
    const res = await keyward(['decrypt', '-i', file], withKey);
    expect(res.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(CANARY);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('exits 128 with a per-group report when no key is available', async () => {
    const res = await keyward(['decrypt', EXAMPLE], noKey);
    expect(res.code).toBe(128);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/failed to get the data key/);
    expect(res.stderr).toMatch(/group 0: failed\n {2}age age1yu4nfhg3…/);
    expect(res.stderr).not.toContain(CANARY);
  });

  it('exits 51 on a tampered plaintext value, and --ignore-mac decrypts anyway', async () => {
    const file = join(dir, 'tampered.enc.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE, 'utf8').replace('owner_unencrypted: platform-team', 'owner_unencrypted: intruder'),
    );
    const res = await keyward(['decrypt', file], withKey);
    expect(res.code).toBe(51);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/MAC mismatch/);
    expect(res.stderr).not.toContain(CANARY);
    const ignored = await keyward(['decrypt', '--ignore-mac', file], withKey);
    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toContain('owner_unencrypted: intruder');
  });

  it('exits 25 when a ciphertext was moved to another key', async () => {
    const file = join(dir, 'moved.enc.yaml');
    const text = readFileSync(EXAMPLE, 'utf8');
    const password = /password: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? '';
    writeFileSync(file, text.replace(/username: ENC\[[^\]]+\]/, `username: ${password}`));
    const res = await keyward(['decrypt', file], withKey);
    expect(res.code).toBe(25);
    expect(res.stderr).toMatch(/database\.username: could not decrypt value/);
    expect(res.stderr).not.toContain(CANARY);
  });

  it('exits 100 for a missing file, 2 for unparsable input, 1 without metadata, 8 for conflicting flags', async () => {
    expect((await keyward(['decrypt', join(dir, 'nope.yaml')], withKey)).code).toBe(100);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'a: [unclosed\n');
    expect((await keyward(['decrypt', broken], withKey)).code).toBe(2);
    const plain = join(dir, 'plain-input.yaml');
    writeFileSync(plain, 'a: 1\n');
    const missing = await keyward(['decrypt', plain], withKey);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/sops metadata not found/);
    expect((await keyward(['decrypt', '-i', '--output', join(dir, 'x'), EXAMPLE], withKey)).code).toBe(8);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('never prints a stack trace', async () => {
    const res = await keyward(['decrypt', join(dir, 'nope.yaml')], withKey);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});
