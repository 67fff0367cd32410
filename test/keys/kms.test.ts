/**
 * `kms` master keys against the rig's local-kms (a real KMS implementation on a
 * loopback port): keyward and the real sops read each other's files, with and
 * without an encryption context; a wrong context fails with exit 128, naming the
 * key and never a secret.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
let arn = '';
let env: { env: Record<string, string> } = { env: {} };
const plain = () => readFileSync(join(dir, 'plain.yaml'), 'utf8');

beforeAll(() => {
  arn = rigEnv(ENV.kmsKeyArn);
  env = {
    env: {
      AWS_ACCESS_KEY_ID: 'keyward-test',
      AWS_SECRET_ACCESS_KEY: 'keyward-test',
      AWS_ENDPOINT_URL_KMS: rigEnv(ENV.kmsEndpoint),
      SOPS_CONFIG: '/dev/null',
    },
  };
  writeFileSync(join(dir, 'plain.yaml'), `password: ${CANARY}\nport: 5432\n`);
});

describe('kms keys', () => {
  for (const context of [[], ['--encryption-context', 'app:web,env:prod']]) {
    const name = context.length > 0 ? 'with an encryption context' : 'without a context';
    it(`keyward encrypts, the real sops decrypts, and back (${name})`, async () => {
      const args = ['encrypt', '--kms', arn, ...context, join(dir, 'plain.yaml')];
      const ours = await keyward(args, env);
      expect(ours).toMatchObject({ code: 0, stderr: '' });
      expect(ours.stdout).toContain(`- arn: ${arn}`);
      const kwFile = join(dir, `kw-${context.length}.enc.yaml`);
      writeFileSync(kwFile, ours.stdout);
      expect((await run(toolPath('sops'), ['decrypt', kwFile], env)).stdout).toBe(plain());

      const theirs = await run(toolPath('sops'), args, env);
      expect(theirs.code).toBe(0);
      const sopsFile = join(dir, `sops-${context.length}.enc.yaml`);
      writeFileSync(sopsFile, theirs.stdout);
      const dec = await keyward(['decrypt', sopsFile], env);
      expect(dec).toMatchObject({ code: 0, stderr: '', stdout: plain() });
    });
  }

  it('a context that does not match: exit 128, the key named, no secret', async () => {
    const file = join(dir, 'kw-2.enc.yaml');
    const changed = readFileSync(file, 'utf8').replace('env: prod', 'env: dev');
    writeFileSync(join(dir, 'wrong-context.enc.yaml'), changed);
    const res = await keyward(['decrypt', join(dir, 'wrong-context.enc.yaml')], env);
    expect(res.code).toBe(128);
    expect(res.stderr).toContain(`kms ${arn}: KMS could not decrypt`);
    expect(res.stderr).not.toContain(CANARY);
    expect(res.stdout).toBe('');
  });
});
