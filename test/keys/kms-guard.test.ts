/**
 * `kms` keys from an untrusted file, in-process against the rig's local-kms behind a
 * recording proxy (who signed each call) and the loopback STS FAKE: ARNs with another
 * partition or a region that is not a plain region name, and roles that are not IAM
 * role ARNs, are refused; with KEYWARD_AMBIENT_CREDENTIALS off a key's aws_profile is
 * refused and the SDK's default chain (here: the process environment) is never used;
 * the AssumeRole cache gives nothing to a context with other (or no) base credentials,
 * and a refusal is not remembered. No base secret ever appears in a message.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, KeywardError } from '../../src/errors.js';
import { type KmsRef, keyType } from '../../src/keys/kms.js';
import {
  type FakeSts,
  type RecordingProxy,
  startFakeSts,
  startRecordingProxy,
  TEMP_KEY_PREFIX,
} from '../fakes/sts-fake-and-proxy.js';
import { testContext } from '../helpers/context.js';
import { ENV, rigEnv } from '../rig/paths.js';

const CANARY = `canary-secret-${randomUUID()}`;
const ROLE = 'arn:aws:iam::111122223333:role/keyward/guard';
const part = new Uint8Array(randomBytes(32));
let sts: FakeSts;
let proxy: RecordingProxy;
let arn = '';
const saved = { ...process.env };

const settings = (keyId: string, secret = CANARY, extra: Record<string, string> = {}) => ({
  ...(keyId ? { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret } : {}),
  AWS_ENDPOINT_URL_STS: sts.url,
  AWS_ENDPOINT_URL_KMS: proxy.url,
  ...extra,
});
const ctx = (s: Record<string, string>) => testContext(s);
const key = (fields: Record<string, unknown> = {}): KmsRef => keyType.parseRef({ arn, ...fields });

async function failure(action: () => Promise<unknown>): Promise<KeywardError> {
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardError);
  expect((err as Error).message).not.toContain(CANARY);
  return err as KeywardError;
}

beforeAll(async () => {
  arn = rigEnv(ENV.kmsKeyArn);
  sts = await startFakeSts();
  proxy = await startRecordingProxy(rigEnv(ENV.kmsEndpoint));
});
afterAll(async () => {
  await sts?.close();
  await proxy?.close();
});
afterEach(() => {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('kms ARNs and roles', () => {
  it.each([
    'arn:aws:kms:eu-west-1.evil.example:111122223333:key/1234',
    'arn:aws:kms:eu-west-1/x:111122223333:key/1234',
    'arn:aws:kms:EU-WEST-1:111122223333:key/1234',
    'arn:aws:kms:eu-west-1#:111122223333:key/1234',
    'arn:aws:kms::111122223333:key/1234',
    'arn:aws-evil:kms:eu-west-1:111122223333:key/1234',
    'arn:awsx:kms:eu-west-1:111122223333:key/1234',
    'arn:aws:kms:eu-west-1:111122223333:key/../1234',
    'arn:aws:kms:eu-west-1:111122223333:key/12 34',
    'arn:aws:kms:eu-west-1:1111:key/1234',
    'arn:aws:s3:eu-west-1:111122223333:key/1234',
  ])('refuses %s', (bad) => {
    expect(() => keyType.parseRef({ arn: bad })).toThrow(ConfigError);
    expect(() => keyType.parseFlag?.(bad)).toThrow(/^kms: ".*" is not a KMS key ARN/);
  });

  it('accepts every documented partition and plain regions, keys and aliases', () => {
    for (const good of [
      'arn:aws:kms:eu-west-1:111122223333:key/0b4c3f6e-2a4e-4e38-9a47-96b4c8f0f0c1',
      'arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd',
      'arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/team/sops_key-1',
      'arn:aws-iso:kms:us-iso-east-1:111122223333:key/1',
      'arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/1',
    ]) {
      expect(keyType.parseRef({ arn: good }).arn).toBe(good);
    }
  });

  it('a role must be an IAM role ARN', () => {
    expect(key({ role: ROLE }).role).toBe(ROLE);
    for (const role of [
      'arn:aws:iam::111122223333:user/someone',
      'arn:aws:sts::111122223333:assumed-role/x/y',
      'arn:aws:iam::111122223333:role/a b',
      'arn:evil:iam::111122223333:role/x',
      'https://evil.example/role',
    ]) {
      expect(() => key({ role })).toThrow(`kms ${arn}: role ${JSON.stringify(role)} is not an IAM role ARN`);
    }
    expect(() => keyType.parseFlag?.(`${arn}+arn:aws:iam::111122223333:user/x`)).toThrow(ConfigError);
  });
});

describe('KEYWARD_AMBIENT_CREDENTIALS off', () => {
  it("a key's aws_profile is refused before any request", async () => {
    const before = proxy.paths.length;
    const c = ctx(settings('AKIDGUARD', CANARY, { KEYWARD_AMBIENT_CREDENTIALS: 'off' }));
    for (const run of [
      () => keyType.wrap(key({ aws_profile: 'team' }), part, c),
      () => keyType.unwrap(key({ aws_profile: 'team' }), 'AAAA', c),
    ]) {
      const err = await failure(run);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toBe(
        `kms ${arn}: aws_profile "team" is refused while KEYWARD_AMBIENT_CREDENTIALS is off (profiles come from the machine's files)`,
      );
    }
    expect(proxy.paths.length).toBe(before);
  });

  it('credentials in the process environment are never used; those in settings are', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDPROCESSENV', AWS_SECRET_ACCESS_KEY: CANARY });
    const before = proxy.signers.length;
    const off = ctx(settings('', '', { KEYWARD_AMBIENT_CREDENTIALS: 'off' }));
    const err = await failure(() => keyType.wrap(key(), part, off));
    expect(err.message).toContain(`kms ${arn}: no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;`);
    expect(proxy.signers.length).toBe(before);
    // the same with it on: the SDK's chain finds the process environment (so the test above means something)
    await keyType.wrap(key(), part, ctx(settings('')));
    expect(proxy.signers.slice(before)).toEqual(['AKIDPROCESSENV']);
    const named = ctx(settings('AKIDSETTINGS', 'x', { KEYWARD_AMBIENT_CREDENTIALS: 'off' }));
    expect(await keyType.unwrap(key(), await keyType.wrap(key(), part, named), named)).toEqual(part);
    expect(new Set(proxy.signers.slice(before + 1))).toEqual(new Set(['AKIDSETTINGS']));
  });
});

describe('the AssumeRole cache', () => {
  it('is keyed by the base credentials: another key id, another secret or none never get its credentials', async () => {
    const role = key({ role: ROLE });
    const [calls, signed] = [sts.calls.length, proxy.signers.length];
    const alice = ctx(settings('AKIDALICE', CANARY));
    const enc = await keyType.wrap(role, part, alice);
    expect(await keyType.unwrap(role, enc, alice)).toEqual(part);
    expect(sts.calls.slice(calls).map((c) => c.signedBy)).toEqual(['AKIDALICE']);
    const aliceTemp = `${TEMP_KEY_PREFIX}${calls + 1}`;
    expect(new Set(proxy.signers.slice(signed))).toEqual(new Set([aliceTemp]));

    expect(await keyType.unwrap(role, enc, ctx(settings('AKIDBOB', 'bob-secret')))).toEqual(part);
    expect(await keyType.unwrap(role, enc, ctx(settings('AKIDALICE', 'another-secret')))).toEqual(part);
    expect(sts.calls.slice(calls).map((c) => c.signedBy)).toEqual(['AKIDALICE', 'AKIDBOB', 'AKIDALICE']);
    const later = proxy.signers.slice(signed + 2);
    expect(later).toEqual([`${TEMP_KEY_PREFIX}${calls + 2}`, `${TEMP_KEY_PREFIX}${calls + 3}`]);

    const before = proxy.signers.length;
    const none = ctx(settings('', '', { KEYWARD_AMBIENT_CREDENTIALS: 'off' }));
    const err = await failure(() => keyType.unwrap(role, enc, none));
    expect(err.message).toContain('no AWS credentials');
    expect([sts.calls.length, proxy.signers.length]).toEqual([calls + 3, before]);
  });

  it('a refused AssumeRole is not remembered', async () => {
    const role = key({ role: ROLE });
    const c = ctx(settings('AKIDCAROL', CANARY));
    sts.deny.add(ROLE);
    const err = await failure(() => keyType.wrap(role, part, c)).finally(() => sts.deny.delete(ROLE));
    expect(err.message).toContain(`kms ${arn} (role ${ROLE}): STS could not assume the role (AccessDenied`);
    const calls = sts.calls.length;
    expect(await keyType.unwrap(role, await keyType.wrap(role, part, c), c)).toEqual(part);
    expect(sts.calls.length).toBe(calls + 1);
  });
});
