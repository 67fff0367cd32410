/**
 * `keyward render` with the vault backend against the rig's OpenBao/Vault dev
 * server: KV v2 paths with and without `data/`, versions, AVP's `<path:…>`, a KV v1
 * mount, AVP_KV_VERSION, a dynamic path (a TOTP code), and no Vault traffic at all
 * when no placeholder needs Vault. Failure paths plant a canary secret in Vault and
 * check it never reaches stderr: a missing key, a missing path, a denied policy, Vault
 * down and Vault too slow — each exits non-zero with nothing on stdout.
 */

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingProxy, startRecordingProxy } from '../fakes/sts-fake-and-proxy.js';
import { keyward, tempDir } from '../helpers/proc.js';
import { mount, readPolicy, tokenWith, vaultAddr, vaultAdmin, writeKv1, writeKv2 } from '../helpers/vault.js';
import { ENV, rigEnv } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
let kv2 = '';
let kv1 = '';
let totp = '';
let proxy: RecordingProxy;

const env = (extra: Record<string, string> = {}) => ({
  clean: true,
  env: { VAULT_ADDR: vaultAddr(), VAULT_TOKEN: rigEnv(ENV.vaultToken), ...extra },
});

function manifest(name: string, fields: Record<string, string>): string {
  const lines = Object.entries(fields).map(([k, v]) => `  ${k}: "${v}"`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n${lines.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  kv2 = await mount('kv', { version: '2' });
  kv1 = await mount('kv', { version: '1' });
  await writeKv2(kv2, 'app', { user: 'first-user', password: 'first-pass' });
  await writeKv2(kv2, 'app', { user: 'app-user', password: CANARY, port: 5432 });
  await writeKv1(kv1, 'svc', { api_key: 'kv1-key' });
  totp = await mount('totp');
  await vaultAdmin(`${totp}/keys/demo`, { generate: false, key: 'JBSWY3DPEHPK3PXP', issuer: 'keyward' });
  proxy = await startRecordingProxy(vaultAddr());
});

afterAll(async () => {
  await proxy?.close();
});

describe('vault backend: reading', () => {
  it('KV v2 with or without data/, versions, AVP paths, KV v1, a dynamic path', async () => {
    const file = manifest('reads', {
      user: `<vault:${kv2}/app#user>`,
      withData: `<vault:${kv2}/data/app#user>`,
      first: `<vault:${kv2}/app#user#1>`,
      avp: `<path:${kv2}/data/app#user>`,
      avpVersion: `<path:${kv2}/data/app#user#1>`,
      kv1: `<vault:${kv1}/svc#api_key>`,
      code: `<vault:${totp}/code/demo#code>`,
    });
    const res = await keyward(['render', file], env());
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('user: "app-user"');
    expect(res.stdout).toContain('withData: "app-user"');
    expect(res.stdout).toContain('first: "first-user"');
    expect(res.stdout).toContain('avp: "app-user"');
    expect(res.stdout).toContain('avpVersion: "first-user"');
    expect(res.stdout).toContain('kv1: "kv1-key"');
    expect(res.stdout).toMatch(/code: "\d{6}"/);
  });

  it('AVP_KV_VERSION=2 skips detection: AVP paths with data/ read the same', async () => {
    const file = manifest('forced', { avp: `<path:${kv2}/data/app#user>` });
    const res = await keyward(['render', file], env({ AVP_KV_VERSION: '2' }));
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('avp: "app-user"');
  });

  it('a version on a KV v1 mount: an error in keyward syntax, ignored with a warning in AVP syntax', async () => {
    const strict = await keyward(['render', manifest('v1strict', { a: `<vault:${kv1}/svc#api_key#2>` })], env());
    expect(strict).toMatchObject({ code: 1, stdout: '' });
    expect(strict.stderr).toContain(`vault: ${kv1}/svc: versions need a KV version 2 mount`);
    const lenient = await keyward(['render', manifest('v1avp', { a: `<path:${kv1}/svc#api_key#2>` })], env());
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('a: "kv1-key"');
    expect(lenient.stderr).toBe(
      `keyward: warning: vault: ${kv1}/svc is on a KV version 1 mount, which keeps no versions: version ignored, as AVP does\n`,
    );
  });

  it("a manifest's kv-version annotation overrides AVP_KV_VERSION for that manifest", async () => {
    const text = (annotation: string) =>
      `kind: Secret\nmetadata:\n  name: kv\n  annotations:\n${annotation}stringData:\n  key: <path:${kv1}/svc#api_key>\n`;
    const withAnnotation = join(dir, 'kv-annotated.yaml');
    writeFileSync(withAnnotation, text('    avp.kubernetes.io/kv-version: "1"\n'));
    const ok = await keyward(['render', withAnnotation], env({ AVP_KV_VERSION: '2' }));
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('key: kv1-key');
    const without = join(dir, 'kv-plain.yaml');
    writeFileSync(without, text('    note: none\n'));
    const failed = await keyward(['render', without], env({ AVP_KV_VERSION: '2' }));
    expect(failed).toMatchObject({ code: 1, stdout: '' });
    expect(failed.stderr).toContain(`vault:${kv1}/svc does not exist`);
  });

  it('200 placeholders over one path: one read of the secret', async () => {
    const fields = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, `<vault:${kv2}/app#user>`]));
    const file = manifest('many', fields);
    const before = proxy.paths.length;
    const res = await keyward(['render', file], env({ VAULT_ADDR: proxy.url }));
    expect(res.code).toBe(0);
    const reads = proxy.paths.slice(before).filter((p) => p.startsWith(`/v1/${kv2}/data/app`));
    expect(reads).toHaveLength(1);
  });

  it('no Vault placeholder: no Vault request, not even a login (VAULT_ADDR may be down)', async () => {
    const file = manifest('novault', { plain: 'no placeholders here' });
    const res = await keyward(['render', file], env({ VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: '' }));
    expect(res).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('vault backend: failing closed, never leaking', () => {
  const check = (res: { code: number; stdout: string; stderr: string }) => {
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).not.toContain(CANARY);
  };

  it('a missing key and a missing path are reported with their placeholders', async () => {
    const file = manifest('missing', {
      ok: `<vault:${kv2}/app#password>`,
      key: `<vault:${kv2}/app#nope>`,
      path: `<vault:${kv2}/nowhere#user>`,
    });
    const res = await keyward(['render', file], env());
    check(res);
    expect(res.stderr).toContain(`stringData.key: <vault:${kv2}/app#nope>: no key nope in vault:${kv2}/app`);
    expect(res.stderr).toContain(`stringData.path: <vault:${kv2}/nowhere#user>: vault:${kv2}/nowhere does not exist`);
  });

  it('a policy that denies the path: permission denied, no retry', async () => {
    await readPolicy('only-kv1', [`${kv1}/*`]);
    const token = await tokenWith(['only-kv1']);
    const res = await keyward(
      ['render', manifest('denied', { p: `<vault:${kv2}/app#password>` })],
      env({ VAULT_TOKEN: token }),
    );
    check(res);
    expect(res.stderr).toMatch(/permission denied/);
  });

  it('Vault down: a clear error within the timeout', async () => {
    const file = manifest('down', { p: `<vault:${kv2}/app#password>` });
    const res = await keyward(['render', '--timeout', '2', file], env({ VAULT_ADDR: 'http://127.0.0.1:9' }));
    check(res);
    expect(res.stderr).toContain('vault: http://127.0.0.1:9 is not reachable');
    expect(res.ms).toBeLessThan(15_000);
  });

  it('Vault too slow (accepts, never answers): fails after the per-try timeout and its retries', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const file = manifest('slow', { p: `<vault:${kv2}/app#password>` });
      const res = await keyward(['render', '--timeout', '1', file], env({ VAULT_ADDR: address }));
      check(res);
      expect(res.stderr).toContain('vault: no answer within 1 s');
      expect(res.ms).toBeGreaterThan(2_500);
      expect(res.ms).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  });

  it('a bad modifier on a Vault value: an error naming the modifier, not the value', async () => {
    const res = await keyward(['render', manifest('badmod', { p: `<vault:${kv2}/app#password | jsonParse>` })], env());
    check(res);
    expect(res.stderr).toContain('jsonParse: the value is not JSON');
  });
});
