/**
 * Key groups across key types, against the real sops and the rig's servers: three
 * groups (age | pgp | kms + hc_vault) with threshold 2. A file made by sops decrypts
 * in keyward with any two groups' keys, and with one group fails with exit 128 and
 * a report per group; the same file made by keyward decrypts with sops.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshAgeKey, gnupgHome, PGP_FP, transitKeys } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
let age = { file: '', recipient: '' };
let gpgHome = '';
let vaultToken = '';

/** Settings that make each group's keys available (or not). */
function env(groups: { age: boolean; pgp: boolean; remote: boolean }) {
  return {
    env: {
      SOPS_CONFIG: join(dir, '.sops.yaml'),
      SOPS_AGE_KEY_FILE: groups.age ? age.file : join(dir, 'no-age-key.txt'),
      GNUPGHOME: groups.pgp ? gpgHome : join(dir, 'empty-gnupg'),
      AWS_ACCESS_KEY_ID: 'keyward-test',
      AWS_SECRET_ACCESS_KEY: 'keyward-test',
      AWS_ENDPOINT_URL_KMS: groups.remote ? rigEnv(ENV.kmsEndpoint) : 'http://127.0.0.1:9',
      VAULT_TOKEN: groups.remote ? vaultToken : 'not-a-token',
    },
  };
}
const all = { age: true, pgp: true, remote: true };

beforeAll(async () => {
  age = await freshAgeKey(dir, 'group-age');
  gpgHome = await gnupgHome();
  await run('mkdir', ['-m', '700', join(dir, 'empty-gnupg')]);
  vaultToken = rigEnv(ENV.vaultToken);
  const [transit] = await transitKeys(['groups']);
  writeFileSync(
    join(dir, '.sops.yaml'),
    `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age:\n          - ${age.recipient}\n      - pgp:\n          - ${PGP_FP}\n      - kms:\n          - arn: ${rigEnv(ENV.kmsKeyArn)}\n        hc_vault:\n          - ${transit}\n`,
  );
  writeFileSync(join(dir, 'plain.yaml'), `password: ${CANARY}\n`);
});

describe('three key groups, threshold 2', () => {
  it('made by sops: keyward decrypts with any two groups, and fails with one (exit 128, per-group report)', async () => {
    const made = await run(toolPath('sops'), ['encrypt', join(dir, 'plain.yaml')], env(all));
    expect(made.code).toBe(0);
    const file = join(dir, 'sops.enc.yaml');
    writeFileSync(file, made.stdout);
    const plain = readFileSync(join(dir, 'plain.yaml'), 'utf8');
    for (const groups of [
      { age: true, pgp: true, remote: false },
      { age: true, pgp: false, remote: true },
      { age: false, pgp: true, remote: true },
    ]) {
      const res = await keyward(['decrypt', file], env(groups));
      expect({ groups, code: res.code, stdout: res.stdout }).toEqual({ groups, code: 0, stdout: plain });
    }
    const one = await keyward(['decrypt', file], env({ age: true, pgp: false, remote: false }));
    expect(one.code).toBe(128);
    expect(one.stderr).toMatch(/group 0: ok/);
    expect(one.stderr).toMatch(/group 1: failed/);
    expect(one.stderr).toMatch(/group 2: failed/);
    expect(one.stderr).not.toContain(CANARY);
    expect(one.stdout).toBe('');
  });

  it('made by keyward: sops decrypts it', async () => {
    const made = await keyward(['encrypt', join(dir, 'plain.yaml')], env(all));
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const file = join(dir, 'kw.enc.yaml');
    writeFileSync(file, made.stdout);
    const dec = await run(toolPath('sops'), ['decrypt', file], env({ age: false, pgp: true, remote: true }));
    expect(dec.stdout).toBe(readFileSync(join(dir, 'plain.yaml'), 'utf8'));
  });
});
