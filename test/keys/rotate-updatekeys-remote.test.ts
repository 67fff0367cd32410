/**
 * `updatekeys` and `rotate` across key groups with remote keys (the rig's local-kms
 * and Vault transit): updatekeys shows the key diff and asks, then re-splits the same
 * data key into an age group and a kms + hc_vault group (MAC and values unchanged);
 * rotate adds and removes remote keys under a new data key. The real sops reads
 * every result.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshAgeKey, transitKeys } from '../helpers/keys.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const plain = `password: ${CANARY}\nport: 5432\n`;
const file = join(dir, 'app.enc.yaml');
let age = { file: '', recipient: '' };
let arn = '';
const transit: string[] = [];

const opts = (over: Record<string, string> = {}) => ({
  cwd: dir,
  env: {
    SOPS_CONFIG: join(dir, '.sops.yaml'),
    SOPS_AGE_KEY_FILE: age.file,
    AWS_ACCESS_KEY_ID: 'keyward-test',
    AWS_SECRET_ACCESS_KEY: 'keyward-test',
    AWS_ENDPOINT_URL_KMS: rigEnv(ENV.kmsEndpoint),
    VAULT_TOKEN: rigEnv(ENV.vaultToken),
    ...over,
  },
});
const sopsDecrypt = (over: Record<string, string> = {}) => run(toolPath('sops'), ['decrypt', file], opts(over));
const values = (text: string): string[] => text.match(/ENC\[[^\]]+\]/g) ?? [];
const mac = (text: string) => /mac: (.*)/.exec(text)?.[1];

beforeAll(async () => {
  age = await freshAgeKey(dir, 'age');
  arn = rigEnv(ENV.kmsKeyArn);
  transit.push(...(await transitKeys(['one', 'two'])));
  writeFileSync(join(dir, 'plain.yaml'), plain);
  const made = await run(toolPath('sops'), ['encrypt', '--age', age.recipient, join(dir, 'plain.yaml')], {
    env: { SOPS_CONFIG: '/dev/null' },
  });
  if (made.code !== 0) throw new Error(made.stderr);
  writeFileSync(file, made.stdout);
  writeFileSync(
    join(dir, '.sops.yaml'),
    `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${age.recipient}]\n      - kms:\n          - arn: ${arn}\n        hc_vault:\n          - ${transit[0]}\n`,
  );
});

describe('updatekeys to remote key groups', () => {
  it('shows the diff and changes nothing when the answer is no', async () => {
    const before = readFileSync(file, 'utf8');
    const res = await keyward(['updatekeys', 'app.enc.yaml'], { ...opts(), input: 'n\n' });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(`+++ group 1: kms ${arn}`);
    expect(res.stderr).toContain('+++ group 1: hc_vault');
    expect(res.stderr).toContain('changes not applied');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('with -y: two groups, threshold 2, same values and MAC; sops needs both groups', async () => {
    const before = readFileSync(file, 'utf8');
    const res = await keyward(['updatekeys', '-y', 'app.enc.yaml'], opts());
    expect(res.code).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('shamir_threshold: 2');
    expect(values(after)).toEqual(values(before));
    expect(mac(after)).toBe(mac(before));
    expect(await sopsDecrypt()).toMatchObject({ code: 0, stdout: plain });
    const ageOnly = await keyward(
      ['decrypt', file],
      opts({ VAULT_TOKEN: 'x', AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' }),
    );
    expect(ageOnly.code).toBe(128);
    expect(ageOnly.stderr).toContain('group 0: ok');
    expect(ageOnly.stderr).toContain('group 1: failed');
    expect(ageOnly.stderr).not.toContain(CANARY);
  });
});

describe('rotate with remote keys', () => {
  it('--add-hc-vault-transit and --rm-kms under a new data key; sops decrypts through the new key', async () => {
    const before = readFileSync(file, 'utf8');
    const args = ['rotate', '-i', '--add-hc-vault-transit', transit[1] ?? '', '--rm-kms', arn, file];
    expect(await keyward(args, opts())).toMatchObject({ code: 0, stderr: '' });
    const after = readFileSync(file, 'utf8');
    expect(values(after).filter((v) => values(before).includes(v))).toEqual([]);
    expect(after).not.toContain(arn);
    expect(after).toContain('key_name: two');
    expect(after).toContain('shamir_threshold: 2');
    // no KMS anywhere now: age (group 0) and Vault (both groups) are enough
    expect(await sopsDecrypt({ AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' })).toMatchObject({ code: 0, stdout: plain });
  });
});
