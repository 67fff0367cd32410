/**
 * `keyward encrypt` through the built CLI: keys from flags or `.sops.yaml`, the
 * selection rules, sops's refusals, and interop with the real sops in both
 * directions for age, PGP and key groups with Shamir.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_AGE_KEY, DEV_AGE_RECIPIENT, freshAgeKey, gnupgHome, PGP_FP } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = 'canary-encrypt-7f3a';
const sops = (args: string[], env: Record<string, string> = {}) =>
  run(toolPath('sops'), args, { env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY, ...env } });
const plain = join(dir, 'app.yaml');
writeFileSync(plain, `db:\n    password: ${CANARY}\n    port: 5432\nname_unencrypted: demo\n`);

describe('keyward encrypt', () => {
  it('encrypts for an age recipient; sops decrypts it; plaintext never on stderr', async () => {
    const res = await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, plain], { env: { SOPS_CONFIG: '/dev/null' } });
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain(CANARY);
    expect(res.stdout).toContain('name_unencrypted: demo');
    expect(res.stdout).toMatch(/unencrypted_suffix: _unencrypted\n {4}version: 3\.13\.2\n$/);
    const file = join(dir, 'app.enc.yaml');
    writeFileSync(file, res.stdout);
    const dec = await sops(['decrypt', file]);
    expect(dec.stdout).toBe(readFileSync(plain, 'utf8'));
  });

  it('uses the matching .sops.yaml creation rule and its selection rule', async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'secrets'), { recursive: true });
    writeFileSync(
      join(project, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    encrypted_regex: ^password$\n    age: ${DEV_AGE_RECIPIENT}\n  - path_regex: .*\n    pgp: ${PGP_FP}\n`,
    );
    const file = join(project, 'secrets', 'db.yaml');
    writeFileSync(file, `password: ${CANARY}\nhost: db.local\n`);
    const res = await keyward(['encrypt', 'secrets/db.yaml'], { cwd: project, env: { SOPS_CONFIG: '' } });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('host: db.local');
    expect(res.stdout).toContain('encrypted_regex: ^password$');
    expect(res.stdout).not.toContain('pgp:');
    const sub = join(project, 'secrets');
    const fromSub = await keyward(['encrypt', 'db.yaml'], { cwd: sub, env: { SOPS_CONFIG: '' } });
    expect(fromSub.stdout).toContain('encrypted_regex: ^password$');
    writeFileSync(join(project, 'other.yaml'), 'a: b\n');
    const other = await keyward(['encrypt', '../other.yaml'], {
      cwd: sub,
      env: { SOPS_CONFIG: '', GNUPGHOME: await gnupgHome() },
    });
    expect(other.stderr).toBe('');
    expect(other.stdout).toContain(`fp: ${PGP_FP}`);
    expect(other.stdout).toContain('unencrypted_suffix: _unencrypted');
  });

  it('refuses a file that is already encrypted (203), two selection rules (8) and missing keys (1)', async () => {
    const enc = join(dir, 'twice.enc.yaml');
    writeFileSync(enc, (await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, plain])).stdout);
    expect((await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, enc])).code).toBe(203);
    const both = await keyward([
      'encrypt',
      '--age',
      DEV_AGE_RECIPIENT,
      '--encrypted-regex',
      'a',
      '--unencrypted-suffix',
      '_x',
      plain,
    ]);
    expect(both.code).toBe(8);
    const none = await keyward(['encrypt', plain], { env: { SOPS_CONFIG: '/dev/null' }, cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no keys given/);
    expect((await keyward(['encrypt', '--age', 'not-a-recipient', plain])).code).toBe(1);
  });

  it('reads stdin with --filename-override, and writes --in-place atomically', async () => {
    const res = await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT, '--filename-override', 'x.json'], {
      input: `{"token": "${CANARY}"}`,
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).sops.version).toBe('3.13.2');
    expect((await keyward(['encrypt', '--age', DEV_AGE_RECIPIENT], { input: 'a: 1' })).code).toBe(8);
    const file = join(dir, 'inplace.yaml');
    writeFileSync(file, `k: ${CANARY}\n`);
    expect((await keyward(['encrypt', '-i', '--age', DEV_AGE_RECIPIENT, file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain(CANARY);
    expect((await sops(['decrypt', file])).stdout).toBe(`k: ${CANARY}\n`);
  });

  it('--mac-only-encrypted lets plaintext values change without breaking the MAC, in sops too', async () => {
    const res = await keyward(['encrypt', '--mac-only-encrypted', '--age', DEV_AGE_RECIPIENT, plain]);
    expect(res.stdout).toContain('mac_only_encrypted: true');
    const file = join(dir, 'maconly.enc.yaml');
    writeFileSync(file, res.stdout.replace('name_unencrypted: demo', 'name_unencrypted: changed'));
    expect((await sops(['decrypt', file])).code).toBe(0);
    expect((await keyward(['decrypt', file], { env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY } })).stdout).toContain('changed');
  });

  it('PGP works both ways with sops', async () => {
    const home = await gnupgHome();
    const env = { GNUPGHOME: home };
    const ours = await keyward(['encrypt', '--pgp', PGP_FP, plain], { env });
    expect(ours.code).toBe(0);
    const file = join(dir, 'pgp-keyward.enc.yaml');
    writeFileSync(file, ours.stdout);
    expect((await run(toolPath('sops'), ['decrypt', file], { env })).stdout).toBe(readFileSync(plain, 'utf8'));
    const theirs = await run(toolPath('sops'), ['encrypt', '--pgp', PGP_FP, plain], {
      env: { ...env, SOPS_CONFIG: '/dev/null' },
    });
    const sopsFile = join(dir, 'pgp-sops.enc.yaml');
    writeFileSync(sopsFile, theirs.stdout);
    expect((await keyward(['decrypt', sopsFile], { env })).stdout).toBe(readFileSync(plain, 'utf8'));
  });

  it('key groups with Shamir threshold 2 of 3 interoperate with sops', async () => {
    const a = await freshAgeKey(dir, 'g1');
    const b = await freshAgeKey(dir, 'g2');
    const c = await freshAgeKey(dir, 'g3');
    const project = join(dir, 'groups');
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, '.sops.yaml'),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`,
    );
    writeFileSync(join(project, 's.yaml'), `secret: ${CANARY}\n`);
    const ours = await keyward(['encrypt', 's.yaml'], { cwd: project, env: { SOPS_CONFIG: '' } });
    expect(ours.stdout).toContain('key_groups:');
    expect(ours.stdout).toContain('shamir_threshold: 2');
    const file = join(project, 's.enc.yaml');
    writeFileSync(file, ours.stdout);
    const keysOf = (...files: string[]) => files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const two = { SOPS_AGE_KEY: keysOf(a.file, c.file), SOPS_AGE_KEY_FILE: '' };
    expect((await run(toolPath('sops'), ['decrypt', file], { env: two })).stdout).toBe(`secret: ${CANARY}\n`);
    const theirs = await run(toolPath('sops'), ['encrypt', 's.yaml'], { cwd: project, env: { SOPS_CONFIG: '' } });
    const sopsFile = join(project, 's.sops.yaml');
    writeFileSync(sopsFile, theirs.stdout);
    expect((await keyward(['decrypt', sopsFile], { env: two, clean: true })).stdout).toBe(`secret: ${CANARY}\n`);
    const one = await keyward(['decrypt', sopsFile], { env: { SOPS_AGE_KEY: keysOf(b.file) }, clean: true });
    expect(one.code).toBe(128);
    expect(one.stderr).toMatch(/recovered 1 of 2/);
    expect(one.stderr).toMatch(/group 0: failed[\s\S]*group 1: ok[\s\S]*group 2: failed/);
    expect(one.stderr).not.toContain(CANARY);
  });
});
