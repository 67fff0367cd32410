/**
 * Vault logins for `keyward render` against the rig's OpenBao/Vault: approle (with
 * argocd-vault-plugin's setting names), userpass, jwt (a token signed by a key made
 * here) and kubernetes (Vault asks a loopback FAKE of the Kubernetes TokenReview API;
 * no API server runs here). The token cache makes the second render skip the login,
 * keeps its file private (0600), and can be turned off. Wrong credentials fail
 * without showing them.
 */

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingProxy, startRecordingProxy } from '../fakes/sts-fake-and-proxy.js';
import { keyward, tempDir } from '../helpers/proc.js';
import { authMount, mount, readPolicy, vaultAddr, vaultAdmin, writeKv2 } from '../helpers/vault.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
let kv = '';
let file = '';
let proxy: RecordingProxy;
let reviews: Server;
const reviewedWith: string[] = [];
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

const env = (extra: Record<string, string>) => ({ clean: true, env: { VAULT_ADDR: proxy.url, ...extra } });
const logins = (mountPath: string) => proxy.paths.filter((p) => p.startsWith(`/v1/${mountPath}/login`)).length;

/** A CA certificate for Vault's kubernetes config (required; unused with the fake's http address). */
function selfSignedCert(): string {
  const out = join(dir, 'k8s-ca.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=fake-k8s'];
  execFileSync('openssl', [...args, '-keyout', join(dir, 'k8s-ca.key'), '-out', out], { stdio: 'ignore' });
  return readFileSync(out, 'utf8');
}

function jwt(claims: Record<string, unknown>): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${sign('sha256', Buffer.from(body), keys.privateKey).toString('base64url')}`;
}

beforeAll(async () => {
  kv = await mount('kv', { version: '2' });
  await writeKv2(kv, 'app', { password: CANARY });
  await readPolicy('render-app', [`${kv}/data/app`, 'sys/internal/ui/mounts/*']);
  proxy = await startRecordingProxy(vaultAddr());
  file = join(dir, 'app.yaml');
  writeFileSync(file, `kind: Secret\nmetadata:\n  name: app\nstringData:\n  password: <vault:${kv}/app#password>\n`);
  // the fake TokenReview API: any token is the service account keyward/renderer
  reviews = createServer((req, res) => {
    reviewedWith.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        status: {
          authenticated: true,
          user: { username: 'system:serviceaccount:keyward:renderer', uid: 'uid-1' },
          audiences: ['vault'],
        },
      }),
    );
  });
  await new Promise<void>((resolve) => reviews.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await proxy?.close();
  reviews?.close();
});

describe('vault logins', () => {
  it('approle with AVP names; the token cache logs in once for two renders, in a 0600 file', async () => {
    const approle = await authMount('approle');
    await vaultAdmin(`${approle}/role/render`, { token_policies: ['render-app'], token_ttl: '1h' });
    const roleId = ((await vaultAdmin(`${approle}/role/render/role-id`)).data as { role_id: string }).role_id;
    const secretId = ((await vaultAdmin(`${approle}/role/render/secret-id`, {})).data as { secret_id: string })
      .secret_id;
    const cache = join(dir, 'token-cache');
    const settings = {
      AVP_AUTH_TYPE: 'approle',
      AVP_ROLE_ID: roleId,
      AVP_SECRET_ID: secretId,
      AVP_MOUNT_PATH: approle,
      KEYWARD_VAULT_TOKEN_CACHE: cache,
    };
    for (let i = 0; i < 2; i++) {
      const res = await keyward(['render', file], env(settings));
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toContain(`password: ${CANARY}`);
    }
    expect(logins(approle)).toBe(1);
    const [cached] = readdirSync(cache);
    expect(statSync(join(cache, cached ?? '')).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    await keyward(['render', file], env({ ...settings, KEYWARD_VAULT_TOKEN_CACHE: 'off' }));
    expect(logins(approle)).toBe(2);

    const wrong = await keyward(
      ['render', file],
      env({ ...settings, AVP_SECRET_ID: 'not-the-secret-id', KEYWARD_VAULT_TOKEN_CACHE: 'off' }),
    );
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toContain(`vault: ${approle}/login`);
    expect(wrong.stderr).not.toContain('not-the-secret-id');
    expect(wrong.stderr).not.toContain(CANARY);
  });

  it('userpass', async () => {
    const userpass = await authMount('userpass');
    await vaultAdmin(`${userpass}/users/renderer`, { password: 'pw-renderer', token_policies: ['render-app'] });
    const res = await keyward(
      ['render', file],
      env({
        KEYWARD_VAULT_AUTH: 'userpass',
        KEYWARD_VAULT_AUTH_MOUNT: userpass,
        VAULT_USERNAME: 'renderer',
        VAULT_PASSWORD: 'pw-renderer',
        KEYWARD_VAULT_TOKEN_CACHE: 'off',
      }),
    );
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`password: ${CANARY}`);
  });

  it('jwt, with a token signed by a key Vault trusts', async () => {
    const jwtMount = await authMount('jwt');
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await vaultAdmin(`${jwtMount}/config`, { jwt_validation_pubkeys: [pem] });
    await vaultAdmin(`${jwtMount}/role/render`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['keyward'],
      token_policies: ['render-app'],
    });
    const now = Math.floor(Date.now() / 1000);
    const token = jwt({ sub: 'ci', aud: 'keyward', iat: now, exp: now + 600 });
    writeFileSync(join(dir, 'jwt'), token);
    const settings = { KEYWARD_VAULT_AUTH: 'jwt', KEYWARD_VAULT_AUTH_MOUNT: jwtMount, VAULT_ROLE: 'render' };
    const res = await keyward(
      ['render', file],
      env({ ...settings, KEYWARD_VAULT_JWT_FILE: join(dir, 'jwt'), KEYWARD_VAULT_TOKEN_CACHE: 'off' }),
    );
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`password: ${CANARY}`);
  });

  it('kubernetes (AVP names), with Vault asking a FAKE TokenReview API', async () => {
    const k8s = await authMount('kubernetes');
    await vaultAdmin(`${k8s}/config`, {
      kubernetes_host: `http://127.0.0.1:${(reviews.address() as AddressInfo).port}`,
      token_reviewer_jwt: 'reviewer-token',
      disable_local_ca_jwt: true,
      kubernetes_ca_cert: selfSignedCert(),
    });
    await vaultAdmin(`${k8s}/role/renderer`, {
      bound_service_account_names: ['renderer'],
      bound_service_account_namespaces: ['keyward'],
      token_policies: ['render-app'],
    });
    const now = Math.floor(Date.now() / 1000);
    const saToken = jwt({
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:keyward:renderer',
      'kubernetes.io/serviceaccount/namespace': 'keyward',
      'kubernetes.io/serviceaccount/service-account.name': 'renderer',
      'kubernetes.io/serviceaccount/service-account.uid': 'uid-1',
      iat: now,
      exp: now + 600,
    });
    writeFileSync(join(dir, 'sa-token'), saToken);
    const settings = {
      AVP_AUTH_TYPE: 'k8s',
      AVP_K8S_ROLE: 'renderer',
      AVP_K8S_MOUNT_PATH: k8s,
      AVP_K8S_TOKEN_PATH: join(dir, 'sa-token'),
      KEYWARD_VAULT_TOKEN_CACHE: 'off',
    };
    const res = await keyward(['render', file], env(settings));
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain(`password: ${CANARY}`);
    expect(reviewedWith).toContain('Bearer reviewer-token');
  });
});
