/**
 * `gcp_kms` master keys against a loopback FAKE of the Cloud KMS REST API
 * (test/fakes/gcp-kms-fake.ts): keyward round-trips a file, keyward and the real sops
 * (REST client, SOPS_GCP_KMS_ENDPOINT at the fake) read each other's files, service
 * account, authorized_user and metadata-server credentials get a token from the
 * fake, and every failure (denied token, missing key, outage, bad id, no
 * credentials) names the key or the settings to fix, never a secret.
 */

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGcpKms, startFakeGcpKms } from '../fakes/gcp-kms-fake.js';
import { keyward, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const TOKEN = `fake-token-${randomUUID()}`;
const KEY = 'projects/keyward/locations/global/keyRings/ring/cryptoKeys/sops';
const KEY2 = 'projects/keyward/locations/europe-west1/keyRings/ring/cryptoKeys/other';
const EMAIL = 'keyward@test-project.iam.gserviceaccount.com';
const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
const refresh = { clientId: 'client.apps', clientSecret: `secret-${randomUUID()}`, refreshToken: `rt-${randomUUID()}` };
const PRIVATE_PEM = account.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
let fake: FakeGcpKms;

const plainFile = join(dir, 'plain.yaml');
const plain = () => readFileSync(plainFile, 'utf8');
const masked = (text: string) => text.replace(/ENC\[[^\]]*\]|enc: \S+|"\d{4}-\d\d-\d\dT[^"]*"/g, '…');

/** A clean environment (PATH, HOME and these only): no Google settings leak in from the host. */
const env = (extra: Record<string, string> = {}) => ({
  clean: true,
  env: {
    HOME: dir,
    SOPS_CONFIG: '/dev/null',
    SOPS_GCP_KMS_ENDPOINT: fake.url,
    SOPS_GCP_KMS_CLIENT_TYPE: 'rest',
    GCE_METADATA_HOST: '127.0.0.1:1',
    ...extra,
  },
});
const withToken = (extra: Record<string, string> = {}) => env({ GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN, ...extra });

const serviceAccount = (tokenUri: string, privateKey = PRIVATE_PEM) =>
  JSON.stringify({ type: 'service_account', client_email: EMAIL, private_key: privateKey, token_uri: tokenUri });

beforeAll(async () => {
  fake = await startFakeGcpKms({
    token: TOKEN,
    serviceAccount: { email: EMAIL, publicKey: account.publicKey },
    refresh,
  });
  writeFileSync(plainFile, `password: ${CANARY}\nport: 5432\n`);
});

afterAll(async () => {
  await fake?.close();
});

async function encryptWith(opts: ReturnType<typeof env>, keys = KEY): Promise<string> {
  const res = await keyward(['encrypt', '--gcp-kms', keys, plainFile], opts);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return res.stdout;
}

describe('gcp_kms keys (against the Cloud KMS fake)', () => {
  it('keyward encrypts and decrypts a file through the fake with a static token', async () => {
    const before = fake.requests.length;
    const out = await encryptWith(withToken());
    expect(out).toContain(`resource_id: ${KEY}`);
    const call = fake.requests.slice(before).find((r) => r.url === `/v1/${KEY}:encrypt`);
    expect(call?.auth).toBe(`Bearer ${TOKEN}`);
    expect(Object.keys(JSON.parse(call?.body ?? '{}') as object)).toEqual(['plaintext']);
    const file = join(dir, 'kw.enc.yaml');
    writeFileSync(file, out);
    expect(await keyward(['decrypt', file], withToken())).toMatchObject({ code: 0, stderr: '', stdout: plain() });
  });

  it('the real sops (REST client) and keyward read each other’s files through the fake', async () => {
    const kwFile = join(dir, 'kw-interop.enc.yaml');
    const ours = await encryptWith(withToken());
    writeFileSync(kwFile, ours);
    const before = fake.requests.length;
    const sopsDec = await run(toolPath('sops'), ['decrypt', kwFile], withToken());
    expect(sopsDec).toMatchObject({ code: 0, stdout: plain() });
    // sops really asked the fake, through the REST path
    expect(fake.requests.slice(before).map((r) => r.url.split('?')[0])).toContain(`/v1/${KEY}:decrypt`);

    const theirs = await run(toolPath('sops'), ['encrypt', '--gcp-kms', KEY, plainFile], withToken());
    expect(theirs.code).toBe(0);
    expect(masked(theirs.stdout)).toBe(masked(ours));
    const sopsFile = join(dir, 'sops-interop.enc.yaml');
    writeFileSync(sopsFile, theirs.stdout);
    expect(await keyward(['decrypt', sopsFile], withToken())).toMatchObject({ code: 0, stderr: '', stdout: plain() });
  });

  it('service_account credentials (GOOGLE_CREDENTIALS as JSON or path, GOOGLE_APPLICATION_CREDENTIALS) sign a JWT the fake accepts', async () => {
    const json = serviceAccount(`${fake.url}/token`);
    writeFileSync(join(dir, 'sa.json'), json);
    const file = join(dir, 'sa.enc.yaml');
    const sources: Record<string, string>[] = [
      { GOOGLE_CREDENTIALS: json },
      { GOOGLE_CREDENTIALS: join(dir, 'sa.json') },
      { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'sa.json') },
    ];
    for (const creds of sources) {
      const before = fake.requests.length;
      // two keys, one token: the token is fetched once per run and credential
      writeFileSync(file, await encryptWith(env(creds), `${KEY},${KEY2}`));
      const seen = fake.requests.slice(before);
      expect(seen.filter((r) => r.url === '/token')).toHaveLength(1);
      expect(seen.filter((r) => r.url.endsWith(':encrypt')).every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
      expect(await keyward(['decrypt', file], env(creds))).toMatchObject({ code: 0, stdout: plain() });
    }
    // the real sops's Google client gets its token from the fake the same way
    const before = fake.requests.length;
    const theirs = await run(
      toolPath('sops'),
      ['encrypt', '--gcp-kms', KEY, plainFile],
      env({ GOOGLE_CREDENTIALS: json }),
    );
    expect(theirs.code).toBe(0);
    expect(fake.requests.slice(before).map((r) => r.url)).toContain('/token');
    writeFileSync(file, theirs.stdout);
    expect(await keyward(['decrypt', file], env({ GOOGLE_CREDENTIALS: json }))).toMatchObject({
      code: 0,
      stdout: plain(),
    });
  });

  it('a service account key the token endpoint does not trust fails naming the key, never the private key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const res = await keyward(
      ['encrypt', '--gcp-kms', KEY, plainFile],
      env({ GOOGLE_CREDENTIALS: serviceAccount(`${fake.url}/token`, pem) }),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`gcp_kms ${KEY}: ${fake.url} gave no access token (invalid_grant)`);
    expect(res.stderr).not.toContain('PRIVATE KEY');
    expect(res.stdout).toBe('');
  });

  it('authorized_user credentials and the metadata server (GCE_METADATA_HOST) also get a token', async () => {
    const user = JSON.stringify({
      type: 'authorized_user',
      client_id: refresh.clientId,
      client_secret: refresh.clientSecret,
      refresh_token: refresh.refreshToken,
      token_uri: `${fake.url}/token`,
    });
    const file = join(dir, 'user.enc.yaml');
    writeFileSync(file, await encryptWith(env({ GOOGLE_CREDENTIALS: user })));
    const metadata = env({ GCE_METADATA_HOST: fake.url.replace('http://', '') });
    expect(await keyward(['decrypt', file], metadata)).toMatchObject({ code: 0, stdout: plain() });
  });

  it('a denied token, a missing key or an outage: exit 128, the key and Google’s status named, no secret', async () => {
    const file = join(dir, 'kw.enc.yaml');
    const denied = await keyward(['decrypt', file], withToken({ GOOGLE_OAUTH_ACCESS_TOKEN: 'not-the-token' }));
    expect(denied.stderr).toContain(`gcp_kms ${KEY}: Cloud KMS refused to decrypt (PERMISSION_DENIED`);
    fake.missing.add(KEY);
    const missing = await keyward(['decrypt', file], withToken());
    fake.missing.clear();
    expect(missing.stderr).toContain(`gcp_kms ${KEY}: Cloud KMS refused to decrypt (NOT_FOUND`);
    fake.failWith = 503;
    const outage = await keyward(['decrypt', file], withToken());
    fake.failWith = undefined;
    expect(outage.stderr).toContain(`gcp_kms ${KEY}: Cloud KMS refused to decrypt (UNAVAILABLE`);
    for (const res of [denied, missing, outage]) {
      expect(res.code).toBe(128);
      expect(res.stdout).toBe('');
      expect(res.stderr).not.toContain(CANARY);
      expect(res.stderr).not.toContain(TOKEN);
    }
  });

  it('rejects a resource id that is not a Cloud KMS key: exit 1 (config error), the value named', async () => {
    const bad = 'projects/p/locations/l/keyRings/r/keys/k';
    const res = await keyward(['encrypt', '--gcp-kms', bad, plainFile], withToken());
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`gcp_kms: "${bad}" is not a Cloud KMS key id`);
    expect(res.stdout).toBe('');
  });

  it('without any credentials: a clear error naming the variables to set', async () => {
    const res = await keyward(['encrypt', '--gcp-kms', KEY, plainFile], env());
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`gcp_kms ${KEY}: no Google credentials`);
    for (const name of ['GOOGLE_OAUTH_ACCESS_TOKEN', 'GOOGLE_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS']) {
      expect(res.stderr).toContain(name);
    }
  });

  it('keys from .sops.yaml ({resource_id} maps) and the endpoint settings', async () => {
    const config = join(dir, 'sops.yaml');
    writeFileSync(config, `creation_rules:\n  - key_groups:\n      - gcp_kms:\n          - resource_id: ${KEY2}\n`);
    const fromConfig = await keyward(['encrypt', plainFile], withToken({ SOPS_CONFIG: config }));
    expect(fromConfig).toMatchObject({ code: 0, stderr: '' });
    expect(fromConfig.stdout).toContain(`resource_id: ${KEY2}`);
    // host:port without a scheme means https; a universe domain moves the default host
    const port = new URL(fake.url).port;
    const noScheme = await keyward(
      ['encrypt', '--gcp-kms', KEY, plainFile],
      withToken({ SOPS_GCP_KMS_ENDPOINT: `127.0.0.1:${port}` }),
    );
    expect(noScheme.stderr).toContain(`https://127.0.0.1:${port} is not reachable`);
    const universe = await keyward(
      ['encrypt', '--gcp-kms', KEY, plainFile],
      withToken({ SOPS_GCP_KMS_ENDPOINT: '', SOPS_GCP_KMS_UNIVERSE_DOMAIN: 'invalid' }),
    );
    expect(universe.stderr).toContain('https://cloudkms.invalid is not reachable');
  });
});
