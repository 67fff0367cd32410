/**
 * The key flags shared by encrypt, rotate and groups add (cli/key-flags.ts): one
 * flag and one SOPS_* variable per key type, flags winning over the environment,
 * comma lists and repeated flags, --encryption-context / --aws-profile shaping kms
 * keys, and every type present in the help of encrypt, rotate and groups add.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FLAGS, keysFromFlags } from '../../cli/key-flags.js';
import { keyward } from '../helpers/proc.js';

const ARN = 'arn:aws:kms:eu-west-2:111122223333:key/00000000-0000-0000-0000-000000000000';
const EXAMPLES: Record<string, string> = {
  kms: ARN,
  pgp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4',
  gcp_kms: 'projects/p/locations/global/keyRings/r/cryptoKeys/k',
  azure_kv: 'https://v.vault.azure.net/keys/k/0123',
  hc_vault: 'https://vault.example:8200/v1/transit/keys/k',
  age: 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04',
};
const saved = new Map<string, string | undefined>();

function setEnv(name: string, value: string): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  process.env[name] = value;
}

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});

describe('key flags', () => {
  it('cover every key type once, each with an example here', () => {
    expect(KEY_FLAGS.map((k) => k.type).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(KEY_FLAGS.map((k) => [k.type, k]))('%s: the flag, else its environment variable', async (_, row) => {
    const example = EXAMPLES[row.type] ?? '';
    setEnv(row.env, example);
    const fromEnv = await keysFromFlags({}, '', true);
    expect(fromEnv.map((s) => s.type)).toEqual([row.type]);
    expect(await keysFromFlags({}, '', false)).toEqual([]);
    const camel = row.flag.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
    const fromFlag = await keysFromFlags({ [camel]: `${example},${example}` }, '', true);
    expect(fromFlag).toHaveLength(2);
    expect(fromFlag).toEqual([fromEnv[0], fromEnv[0]]);
  });

  it('--encryption-context and --aws-profile shape kms keys; a bad pair is an error', async () => {
    const [spec] = await keysFromFlags({ kms: ARN, encryptionContext: 'app:web,env:prod', awsProfile: 'team' });
    expect(spec).toEqual({
      type: 'kms',
      fields: { arn: ARN, aws_profile: 'team', context: { app: 'web', env: 'prod' } },
    });
    await expect(keysFromFlags({ kms: ARN, encryptionContext: 'nocolon' })).rejects.toThrow('is not key:value');
  });

  it('repeated flags (groups add) and prefixed flags (rotate) are read', async () => {
    const age = EXAMPLES.age ?? '';
    expect(await keysFromFlags({ age: [age, age] })).toHaveLength(2);
    expect(await keysFromFlags({ addAge: age }, 'add-')).toHaveLength(1);
    expect(await keysFromFlags({ addAge: age }, 'rm-')).toEqual([]);
  });

  it.each([
    ['encrypt', ''],
    ['rotate', 'add-'],
    ['rotate', 'rm-'],
    ['groups add', ''],
  ])('%s --help lists --%s<type> for every type', async (command, prefix) => {
    const help = (await keyward([...command.split(' '), '--help'])).stdout;
    for (const row of KEY_FLAGS) expect(help).toContain(`--${prefix}${row.flag} <keys>`);
  });
});
