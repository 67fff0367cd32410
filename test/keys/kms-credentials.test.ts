/**
 * Where `kms` keys get their credentials. With a role (`arn+rolearn`) keyward
 * assumes it through STS with sops's session name and signs its KMS calls with the
 * temporary credentials; with `--aws-profile` it signs with that profile from the
 * shared credentials file. STS is a loopback FAKE (no STS implementation runs
 * here); KMS is the rig's real local-kms behind a recording proxy that shows who
 * signed each call. The real sops reads keyward's files and back.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionName } from '../../src/keys/kms.js';
import {
  type FakeSts,
  type RecordingProxy,
  startFakeSts,
  startRecordingProxy,
  TEMP_KEY_PREFIX,
} from '../fakes/sts-fake-and-proxy.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const ROLE = 'arn:aws:iam::111122223333:role/keyward-test';
let sts: FakeSts;
let proxy: RecordingProxy;
let arn = '';
let env: { env: Record<string, string> } = { env: {} };
const plain = `password: ${CANARY}\n`;

beforeAll(async () => {
  arn = rigEnv(ENV.kmsKeyArn);
  sts = await startFakeSts();
  proxy = await startRecordingProxy(rigEnv(ENV.kmsEndpoint));
  env = {
    env: {
      AWS_ACCESS_KEY_ID: 'AKIDKEYWARDBASE',
      AWS_SECRET_ACCESS_KEY: 'keyward-test',
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_KMS: proxy.url,
      SOPS_CONFIG: '/dev/null',
    },
  };
  writeFileSync(join(dir, 'plain.yaml'), plain);
});

afterAll(async () => {
  await sts?.close();
  await proxy?.close();
});

describe('the STS session name', () => {
  it('follows sops: characters outside its class dropped, cut to 64', () => {
    // what sops 3.13.2 sent to this fake STS when run under these host names (unshare --uts)
    expect(sessionName('a-b_c.d+e[f]~g=h,i@j^k\\\\l')).toBe('sops@ab_c.de[f]g=h,i@j^k\\\\l');
    expect(sessionName('h'.repeat(64))).toBe(`sops@${'h'.repeat(59)}`);
    expect(sessionName('vm')).toBe('sops@vm');
  });
});

describe('kms keys with a role', () => {
  it('keyward assumes the role, KMS sees only the temporary credentials, sops decrypts', async () => {
    const res = await keyward(['encrypt', '--kms', `${arn}+${ROLE}`, join(dir, 'plain.yaml')], env);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`role: ${ROLE}`);
    expect(sts.calls).toEqual([{ roleArn: ROLE, sessionName: sessionName(hostname()), signedBy: 'AKIDKEYWARDBASE' }]);
    expect(proxy.signers.length).toBeGreaterThan(0);
    expect(proxy.signers.every((s) => s.startsWith(TEMP_KEY_PREFIX))).toBe(true);
    writeFileSync(join(dir, 'kw.enc.yaml'), res.stdout);
    const theirs = await run(toolPath('sops'), ['decrypt', join(dir, 'kw.enc.yaml')], env);
    expect(theirs).toMatchObject({ code: 0, stdout: plain });
    expect(sts.calls.at(-1)).toMatchObject({ roleArn: ROLE, sessionName: sessionName(hostname()) });
  });

  it("sops's file with a role decrypts in keyward through the same role", async () => {
    const made = await run(toolPath('sops'), ['encrypt', '--kms', `${arn}+${ROLE}`, join(dir, 'plain.yaml')], env);
    expect(made.code).toBe(0);
    writeFileSync(join(dir, 'sops.enc.yaml'), made.stdout);
    const before = sts.calls.length;
    const signed = proxy.signers.length;
    const res = await keyward(['decrypt', join(dir, 'sops.enc.yaml')], env);
    expect(res).toMatchObject({ code: 0, stderr: '', stdout: plain });
    expect(sts.calls.slice(before)).toEqual([
      { roleArn: ROLE, sessionName: sessionName(hostname()), signedBy: 'AKIDKEYWARDBASE' },
    ]);
    expect(proxy.signers.slice(signed).every((s) => s.startsWith(TEMP_KEY_PREFIX))).toBe(true);
  });

  it('--aws-profile: the profile from the shared credentials file signs, for keyward and for sops', async () => {
    const credentials = join(dir, 'credentials');
    const profiles = ['[default]', 'aws_access_key_id = AKIDDEFAULT', 'aws_secret_access_key = d'];
    profiles.push('[team]', 'aws_access_key_id = AKIDTEAM', 'aws_secret_access_key = t');
    writeFileSync(credentials, `${profiles.join('\n')}\n`);
    const fileEnv = {
      clean: true,
      env: {
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_CONFIG_FILE: join(dir, 'no-config'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_KMS: proxy.url,
        SOPS_CONFIG: '/dev/null',
      },
    };
    const signed = proxy.signers.length;
    const res = await keyward(['encrypt', '--kms', arn, '--aws-profile', 'team', join(dir, 'plain.yaml')], fileEnv);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('aws_profile: team');
    writeFileSync(join(dir, 'profile.enc.yaml'), res.stdout);
    expect(await run(toolPath('sops'), ['decrypt', join(dir, 'profile.enc.yaml')], fileEnv)).toMatchObject({
      code: 0,
      stdout: plain,
    });
    expect(await keyward(['decrypt', join(dir, 'profile.enc.yaml')], fileEnv)).toMatchObject({
      code: 0,
      stdout: plain,
    });
    expect(new Set(proxy.signers.slice(signed))).toEqual(new Set(['AKIDTEAM']));
  });

  it('a role STS refuses: exit 128 naming the key and the role, no secret', async () => {
    sts.deny.add(ROLE);
    try {
      const res = await keyward(['decrypt', join(dir, 'kw.enc.yaml')], env);
      expect(res.code).toBe(128);
      expect(res.stderr).toContain(`kms ${arn} (role ${ROLE}): STS could not assume the role (AccessDenied`);
      expect(res.stderr).not.toContain(CANARY);
      expect(res.stdout).toBe('');
      expect(readFileSync(join(dir, 'kw.enc.yaml'), 'utf8')).toContain('role:');
    } finally {
      sts.deny.delete(ROLE);
    }
  });
});
