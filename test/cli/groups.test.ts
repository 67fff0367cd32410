/**
 * `keyward groups add` / `groups delete` next to the real sops: the same metadata
 * shape (groups, keys, shamir_threshold) as sops's own commands, values and MAC
 * untouched, results sops can decrypt, a remote (kms) key group, and sops's
 * refusals (a threshold the groups cannot meet) with clear errors.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshAgeKey } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const plain = `password: ${CANARY}\nport: 5432\n`;
const keys: { file: string; recipient: string }[] = [];
const sops = (args: string[], keyFile = join(dir, 'all.txt')) => run(toolPath('sops'), args, opts(keyFile));
const opts = (keyFile = join(dir, 'all.txt')) => ({
  env: {
    SOPS_CONFIG: '/dev/null',
    SOPS_AGE_KEY_FILE: keyFile,
    AWS_ACCESS_KEY_ID: 'keyward-test',
    AWS_SECRET_ACCESS_KEY: 'keyward-test',
    AWS_ENDPOINT_URL_KMS: rigEnv(ENV.kmsEndpoint),
  },
});

/** The file without what differs on every wrap (enc, created_at, armour lines): the shape to compare. */
const shape = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^\s*(- )?(enc|created_at):|^\s*-----|^\s*[A-Za-z0-9+/=]+$/.test(l))
    .join('\n');
const valueLines = (text: string) => text.split('\n').filter((l) => /^(password|port):|^\s+mac:/.test(l));

async function make(name: string, args: string[]): Promise<string> {
  const res = await sops(['encrypt', ...args, join(dir, 'plain.yaml')]);
  if (res.code !== 0) throw new Error(`sops encrypt: ${res.stderr}`);
  writeFileSync(join(dir, name), res.stdout);
  return join(dir, name);
}

beforeAll(async () => {
  for (let i = 0; i < 4; i++) keys.push(await freshAgeKey(dir, `k${i}`));
  writeFileSync(join(dir, 'all.txt'), keys.map((k) => readFileSync(k.file, 'utf8')).join(''));
  writeFileSync(join(dir, 'plain.yaml'), plain);
});

describe('groups add', () => {
  it('a second group on a one-group file: the shape sops gives, values and MAC kept, sops decrypts', async () => {
    const file = await make('one.enc.yaml', ['--age', keys[0]?.recipient ?? '']);
    const add = ['groups', 'add', '--file', file, '--age', keys[1]?.recipient ?? ''];
    const ours = await keyward(add, opts());
    const theirs = await sops(add);
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(shape(ours.stdout)).toBe(shape(theirs.stdout));
    expect(ours.stdout).toContain('shamir_threshold: 2');
    expect(valueLines(ours.stdout)).toEqual(valueLines(readFileSync(file, 'utf8')));
    writeFileSync(join(dir, 'two.enc.yaml'), ours.stdout);
    expect(await sops(['decrypt', join(dir, 'two.enc.yaml')])).toMatchObject({ code: 0, stdout: plain });
  });

  it('a kms group with a threshold, in place: sops decrypts with the kms group and one age group', async () => {
    const file = await make('three.enc.yaml', ['--age', keys[0]?.recipient ?? '']);
    await keyward(['groups', 'add', '-i', '--file', file, '--age', keys[1]?.recipient ?? ''], opts());
    const arn = rigEnv(ENV.kmsKeyArn);
    const args = ['groups', 'add', '-i', '--file', file, '--kms', arn, '--shamir-secret-sharing-threshold', '2'];
    expect(await keyward(args, opts())).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`- arn: ${arn}`);
    expect(text).toContain('shamir_threshold: 2');
    expect(await sops(['decrypt', file], keys[1]?.file)).toMatchObject({ code: 0, stdout: plain });
  });
});

describe('shamir_threshold with one group', () => {
  it('encrypt keeps a given threshold as sops writes it', async () => {
    const args = ['encrypt', '--age', keys[0]?.recipient ?? '', '--shamir-secret-sharing-threshold', '2'];
    const ours = await keyward([...args, join(dir, 'plain.yaml')], opts());
    const theirs = await sops([...args, join(dir, 'plain.yaml')]);
    expect(ours.stdout).toContain('shamir_threshold: 2');
    const masked = (t: string) =>
      shape(t)
        .replace(/ENC\[[^\]]*\]/g, 'ENC[…]')
        .replace(/lastmodified: .*/, '');
    expect(masked(ours.stdout)).toBe(masked(theirs.stdout));
  });
});

describe('groups delete', () => {
  it('matches sops: threshold lowered by flag, sops decrypts the result', async () => {
    const file = join(dir, 'two.enc.yaml');
    const del = ['groups', 'delete', '--file', file, '--shamir-secret-sharing-threshold', '1', '0'];
    const ours = await keyward(del, opts());
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(shape(ours.stdout)).toBe(shape((await sops(del)).stdout));
    expect(ours.stdout).not.toContain(keys[0]?.recipient);
    writeFileSync(join(dir, 'back.enc.yaml'), ours.stdout);
    expect(await sops(['decrypt', join(dir, 'back.enc.yaml')], keys[1]?.file)).toMatchObject({ stdout: plain });
  });

  it('a threshold the remaining groups cannot meet: exit 1 like sops, the file untouched', async () => {
    const file = join(dir, 'two.enc.yaml');
    const before = readFileSync(file, 'utf8');
    const res = await keyward(['groups', 'delete', '-i', '--file', file, '1'], opts());
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('a Shamir threshold of 2 cannot be met with 1 key group');
    expect((await sops(['groups', 'delete', '--file', file, '1'])).code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('an index the file does not have: exit 8 naming it (sops panics here)', async () => {
    const res = await keyward(['groups', 'delete', '--file', join(dir, 'two.enc.yaml'), '5'], opts());
    expect(res.code).toBe(8);
    expect(res.stderr).toContain('no key group 5 (the file has 2, from 0)');
    expect(res.stderr).not.toContain('at ');
  });

  it('groups add without keys is a usage error', async () => {
    const res = await keyward(['groups', 'add', '--file', join(dir, 'two.enc.yaml')], opts());
    expect(res).toMatchObject({ code: 8, stdout: '' });
    expect(res.stderr).toContain('give at least one key');
  });
});
