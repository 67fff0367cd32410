/**
 * The `k8s` backend through `keyward render` and `keyward check --resolve`, against a
 * loopback FAKE Kubernetes API server (test/fakes/k8s-api-fake.ts; no real API server
 * runs here) reached over TLS with a kubeconfig, or in-cluster with a service account
 * folder. Golden output for the reads; each failure (forbidden, bad token, missing
 * Secret or key, outage, no answer, no server, bad reference) exits non-zero with
 * nothing on stdout and never shows the canary stored in the cluster.
 */

import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeData, secretRef } from '../../src/backends/k8s/index.js';
import { K8sApiFake } from '../fakes/k8s-api-fake.js';
import { keyward, REPO, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const FIXTURE = join(REPO, 'test', 'fixtures', 'k8s', 'app.in.yaml');
const KEYSTORE = Uint8Array.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0x01, 0x80]);
const fake = new K8sApiFake();
let kubeconfig = '';

const env = (extra: Record<string, string> = {}) => ({
  clean: true,
  env: { KUBECONFIG: kubeconfig, ...extra },
});

function manifest(name: string, fields: Record<string, string>): string {
  const lines = Object.entries(fields).map(([k, v]) => `  ${k}: "${v}"`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n${lines.join('\n')}\n`);
  return file;
}

/** A failure: non-zero exit, nothing on stdout, the message on stderr, no canary anywhere. */
async function fails(file: string, message: string, extra: Record<string, string> = {}, args: string[] = []) {
  const res = await keyward(['render', ...args, file], env(extra));
  expect(res.code).not.toBe(0);
  expect(res.stdout).toBe('');
  expect(res.stderr).toContain(message);
  expect(res.stderr).not.toContain(CANARY);
  expect(res.stderr).not.toContain('fake-sa-token');
  return res;
}

beforeAll(async () => {
  await fake.start(dir);
  fake.putSecret('team-a', 'db', { user: 'db-user', password: CANARY });
  fake.putSecret('team-a', 'app', { user: 'app-user', password: 's3cret-pass', config: '{"pool":{"size":12}}' });
  fake.putSecret('team-b', 'db', { user: 'b-user' });
  fake.putSecret('shared', 'tls', { 'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n', 'keystore.p12': KEYSTORE });
  kubeconfig = join(dir, 'kubeconfig');
  const contexts = [
    { name: 'ops', token: fake.token(['team-a', 'team-b', 'shared']), namespace: 'team-a' },
    { name: 'restricted', token: fake.token(['team-b']) },
    { name: 'stale', token: 'fake-sa-token-unknown' },
  ];
  writeFileSync(kubeconfig, fake.kubeconfig(contexts));
});

afterAll(async () => {
  await fake.close();
});

describe('k8s backend: reading Secrets', () => {
  it('renders the golden manifests, one API read per reference', async () => {
    fake.requests.length = 0;
    const res = await keyward(['render', FIXTURE], env());
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, stdout: readFileSync(FIXTURE.replace('.in.', '.out.'), 'utf8') });
    expect(Buffer.from(/keystore: (\S+)/.exec(res.stdout)?.[1] ?? '', 'base64')).toEqual(Buffer.from(KEYSTORE));
    // team-a/app and app (the context's namespace) are two references to one Secret
    expect([...fake.requests].sort()).toEqual([
      'GET /api/v1/namespaces/shared/secrets/tls',
      'GET /api/v1/namespaces/team-a/secrets/app',
      'GET /api/v1/namespaces/team-a/secrets/app',
    ]);
  });

  it('KEYWARD_K8S_NAMESPACE and KEYWARD_K8S_CONTEXT choose where unqualified names are read', async () => {
    const file = manifest('ns', { user: '<k8s:db#user>' });
    const byNamespace = await keyward(['render', file], env({ KEYWARD_K8S_NAMESPACE: 'team-b' }));
    expect(byNamespace).toMatchObject({ code: 0, stderr: '' });
    expect(byNamespace.stdout).toContain('user: "b-user"');
    // the restricted context names no namespace: "default", which it may not read
    await fails(file, 'forbidden to get Secret default/db (403)', { KEYWARD_K8S_CONTEXT: 'restricted' });
    await fails(file, `${kubeconfig} has no context nope`, { KEYWARD_K8S_CONTEXT: 'nope' });
  });

  it('in a pod: the service account folder gives the token, CA and namespace', async () => {
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), fake.token(['team-b']));
    copyFileSync(fake.certFile, join(sa, 'ca.crt'));
    writeFileSync(join(sa, 'namespace'), 'team-b\n');
    const file = manifest('pod', { user: '<k8s:db#user>' });
    const port = new URL(fake.url).port;
    const res = await keyward(['render', file], {
      clean: true,
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, KEYWARD_K8S_SERVICEACCOUNT_DIR: sa },
    });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('user: "b-user"');
  });
});

describe('k8s backend: failures', () => {
  const file = () => manifest('fail', { password: '<k8s:team-a/db#password>' });

  it('a missing Secret or key is reported with its place', async () => {
    const missing = manifest('missing', { a: '<k8s:team-a/nope#password>', b: '<k8s:team-a/db#nope>' });
    const res = await fails(missing, 'k8s:team-a/nope does not exist');
    expect(res.stderr).toContain('no key nope in k8s:team-a/db');
    expect(res.stderr).toContain('stringData.b');
  });

  it('a token the API server does not know: 401, and a namespace it may not read: 403', async () => {
    await fails(file(), 'refused the credentials (401) reading team-a/db', { KEYWARD_K8S_CONTEXT: 'stale' });
    await fails(file(), 'grant "get" on secrets', { KEYWARD_K8S_CONTEXT: 'restricted' });
  });

  it('an outage is retried, then reported', async () => {
    fake.requests.length = 0;
    fake.outage = true;
    try {
      await fails(file(), 'answered 503 reading team-a/db');
    } finally {
      fake.outage = false;
    }
    expect(fake.requests).toHaveLength(3);
  });

  it('an API server that never answers fails within the timeout', async () => {
    fake.hang = true;
    try {
      const res = await fails(file(), 'k8s: no answer within 1 s', {}, ['--timeout', '1']);
      expect(res.ms).toBeLessThan(8000);
    } finally {
      fake.hang = false;
    }
  });

  it('no API server, no kubeconfig, bad references', async () => {
    const down = join(dir, 'down-kubeconfig');
    writeFileSync(down, readFileSync(kubeconfig, 'utf8').replace(fake.url, 'https://127.0.0.1:9'));
    await fails(file(), 'k8s: cannot reach https://127.0.0.1:9', { KUBECONFIG: down });
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const res = await keyward(['render', file()], { clean: true, env: { HOME: home } });
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`k8s: cannot read kubeconfig ${join(home, '.kube', 'config')}`);
    await fails(manifest('version', { v: '<k8s:team-a/db#password#2>' }), 'k8s: Secrets have no versions');
    await fails(manifest('bad', { v: '<k8s:Team_A/db#password>' }), 'is not namespace/name of a Secret');
  });

  it('check --resolve proves the references exist and prints no value', async () => {
    const checked = manifest('checked', { ok: '<k8s:team-a/db#password>', gone: '<k8s:team-a/db#gone>' });
    const res = await keyward(['check', '--resolve', checked], env());
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('missing-secret: <k8s:team-a/db#gone>: no key gone in k8s:team-a/db');
    expect(res.stdout).not.toContain('stringData.ok');
    expect(res.stdout + res.stderr).not.toContain(CANARY);
  });
});

describe('k8s backend: references and values', () => {
  it('parses namespace/name and name, and refuses what Kubernetes would not accept', () => {
    expect(secretRef('team-a/db')).toEqual({ namespace: 'team-a', name: 'db' });
    expect(secretRef('db.v1')).toEqual({ namespace: undefined, name: 'db.v1' });
    for (const bad of ['', 'a/b/c', '/db', 'ns/', 'NS/db', 'ns/-db', `${'a'.repeat(64)}/db`])
      expect(() => secretRef(bad)).toThrow('is not namespace/name of a Secret');
  });

  it('decodes UTF-8 values and keeps other bytes base64', () => {
    const binary = Buffer.from(KEYSTORE).toString('base64');
    expect(decodeData({ a: Buffer.from('héllo').toString('base64'), b: binary })).toEqual({ a: 'héllo', b: binary });
    expect(decodeData(undefined)).toEqual({});
  });
});
