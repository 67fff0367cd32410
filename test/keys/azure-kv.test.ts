/**
 * `azure_kv` master keys against a loopback fake of Azure Key Vault and Microsoft
 * Entra (test/fakes/azure-kv-fake.ts, HTTPS with a certificate made at test time and
 * trusted through NODE_EXTRA_CA_CERTS / SSL_CERT_FILE): keyward stores the concrete
 * key version and base64url-without-padding RSA-OAEP-256 ciphertexts, reads
 * `.sops.yaml` key groups, authenticates with a service principal, a federated token
 * or a given token, fails with exit 128 naming the key and no secret, and the real
 * sops reads keyward's files and the other way round.
 */

import { constants, privateDecrypt, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AzureKvFake, type FakeKey } from '../fakes/azure-kv-fake.js';
import { keyward, type RunOpts, run, tempDir } from '../helpers/proc.js';
import { toolPath } from '../rig/paths.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const PLAIN = `password: ${CANARY}\nport: 5432\n`;
const plainFile = join(dir, 'plain.yaml');
const fake = new AzureKvFake();
let older: FakeKey;
let latest: FakeKey;
let other: FakeKey;
/** A file keyward encrypted to the latest version of `sops-key`. */
let sealed = '';

interface Entry {
  vault_url: string;
  name: string;
  version: string;
  created_at: string;
  enc: string;
}

const azureKeys = (stdout: string): Entry[] => (parse(stdout) as { sops: { azure_kv: Entry[] } }).sops.azure_kv;
const opts = (env: Record<string, string>, trust = fake): RunOpts => ({
  clean: true,
  env: { NODE_EXTRA_CA_CERTS: trust.certFile, SSL_CERT_FILE: trust.certFile, SOPS_CONFIG: '/dev/null', ...env },
});
const principal = (f = fake): Record<string, string> => ({
  AZURE_TENANT_ID: f.tenant,
  AZURE_CLIENT_ID: f.clientId,
  AZURE_CLIENT_SECRET: f.clientSecret,
  AZURE_AUTHORITY_HOST: f.url,
});
const tokenRequests = () => fake.requests.filter((r) => r.includes('/oauth2/v2.0/token')).length;
const readSealed = () => readFileSync(sealed, 'utf8');
function save(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}
const oaep256 = (key: FakeKey) => ({
  key: key.privateKey,
  padding: constants.RSA_PKCS1_OAEP_PADDING,
  oaepHash: 'sha256',
});

beforeAll(async () => {
  await fake.start(dir);
  older = fake.addKey('sops-key');
  latest = fake.addKey('sops-key');
  other = fake.addKey('other-key');
  writeFileSync(plainFile, PLAIN);
});
afterAll(() => fake.close());

describe('azure_kv keys against the Key Vault fake', () => {
  it('without a version: encrypts to the latest one, stores it and a base64url enc, and decrypts', async () => {
    const before = fake.requests.length;
    const enc = await keyward(['encrypt', '--azure-kv', `${fake.url}/keys/sops-key`, plainFile], opts(principal()));
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    const [entry, ...more] = azureKeys(enc.stdout);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ vault_url: fake.url, name: 'sops-key', version: latest.version });
    expect(entry?.enc).toMatch(/^[A-Za-z0-9_-]{300,}$/);
    expect(entry?.enc).not.toMatch(/[=+/]/);
    expect(entry?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // the vault picked the version; the token was asked for the vault host's own resource
    expect(fake.requests.slice(before)).toEqual([
      `POST /${fake.tenant}/oauth2/v2.0/token scope=${fake.url}/.default`,
      'POST /keys/sops-key/encrypt',
    ]);
    sealed = save('latest.enc.yaml', enc.stdout);
    const dec = await keyward(['decrypt', sealed], opts(principal()));
    expect(dec).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
    expect(fake.requests.at(-1)).toBe(`POST /keys/sops-key/${latest.version}/decrypt`);
  });

  it('with a version: enc is RSA-OAEP-256 of the 32-byte data key under that version; padded enc reads too', async () => {
    const url = `${fake.url}/keys/sops-key/${older.version}`;
    const enc = await keyward(['encrypt', '--azure-kv', url, plainFile], opts(principal()));
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    const [entry] = azureKeys(enc.stdout);
    expect(entry?.version).toBe(older.version);
    const ciphertext = Buffer.from(entry?.enc ?? '', 'base64url');
    expect(ciphertext.length).toBe(256);
    expect(privateDecrypt(oaep256(older), ciphertext).length).toBe(32);
    expect(() => privateDecrypt(oaep256(latest), ciphertext)).toThrow();
    const padded = save('padded.enc.yaml', enc.stdout.replace(`enc: ${entry?.enc}`, `enc: ${entry?.enc}==`));
    const dec = await keyward(['decrypt', padded], opts(principal()));
    expect(dec).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
    expect(fake.requests.at(-1)).toBe(`POST /keys/sops-key/${older.version}/decrypt`);
  });

  it('.sops.yaml key_groups entries {vaultUrl, key, version}: both keys wrap, with one token', async () => {
    const config = save(
      'sops.yaml',
      `creation_rules:\n  - path_regex: '\\.yaml$'\n    key_groups:\n      - azure_keyvault:\n` +
        `          - vaultUrl: ${fake.url}\n            key: sops-key\n            version: ${older.version}\n` +
        `          - vaultUrl: ${fake.url}/\n            key: other-key\n`,
    );
    const tokens = tokenRequests();
    const enc = await keyward(['encrypt', plainFile], opts({ ...principal(), SOPS_CONFIG: config }));
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    expect(tokenRequests()).toBe(tokens + 1);
    const keys = azureKeys(enc.stdout).map(({ vault_url, name, version }) => ({ vault_url, name, version }));
    expect(keys).toEqual([
      { vault_url: fake.url, name: 'sops-key', version: older.version },
      { vault_url: `${fake.url}/`, name: 'other-key', version: other.version },
    ]);
    const dec = await keyward(['decrypt', save('config.enc.yaml', enc.stdout)], opts(principal()));
    expect(dec).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
  });

  it('workload identity: the AZURE_FEDERATED_TOKEN_FILE is the client assertion; a wrong one is refused', async () => {
    const federated = {
      AZURE_TENANT_ID: fake.tenant,
      AZURE_CLIENT_ID: fake.clientId,
      AZURE_FEDERATED_TOKEN_FILE: save('federated-token', `${fake.assertion}\n`),
      AZURE_AUTHORITY_HOST: fake.url,
    };
    const enc = await keyward(['encrypt', '--azure-kv', `${fake.url}/keys/other-key`, plainFile], opts(federated));
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    const file = save('federated.enc.yaml', enc.stdout);
    expect(await keyward(['decrypt', file], opts(federated))).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
    const wrong = { ...federated, AZURE_FEDERATED_TOKEN_FILE: save('wrong-token', 'not-the-assertion') };
    const refused = await keyward(['decrypt', file], opts(wrong));
    expect(refused.code).toBe(128);
    expect(refused.stderr).toContain(`azure_kv ${fake.url}/keys/other-key/${other.version}: Microsoft Entra refused`);
    expect(refused.stderr).toContain('invalid_client');
  });

  it('a given AZURE_ACCESS_TOKEN is used as is, without a token request', async () => {
    const tokens = tokenRequests();
    const dec = await keyward(['decrypt', sealed], opts({ AZURE_ACCESS_TOKEN: fake.issueToken() }));
    expect(dec).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
    expect(tokenRequests()).toBe(tokens);
  });

  it('denied (403), an outage (503) or an unreachable vault: exit 128, the key named, no secret', async () => {
    const key = `azure_kv ${fake.url}/keys/sops-key/${latest.version}`;
    fake.deny = true;
    const denied = await keyward(['decrypt', sealed], opts(principal())).finally(() => {
      fake.deny = false;
    });
    fake.outage = true;
    const down = await keyward(['decrypt', sealed], opts(principal())).finally(() => {
      fake.outage = false;
    });
    const elsewhere = save(
      'elsewhere.enc.yaml',
      readSealed().replace(`vault_url: ${fake.url}`, 'vault_url: https://127.0.0.1:1'),
    );
    const unreachable = await keyward(['decrypt', elsewhere], opts(principal()));
    expect(denied.stderr).toContain(`${key}: Key Vault refused to decrypt (HTTP 403 Forbidden:`);
    expect(down.stderr).toContain(`${key}: Key Vault refused to decrypt (HTTP 503 ServiceUnavailable:`);
    expect(unreachable.stderr).toContain(
      `azure_kv https://127.0.0.1:1/keys/sops-key/${latest.version}: Key Vault is not reachable`,
    );
    for (const res of [denied, down, unreachable]) {
      expect(res).toMatchObject({ code: 128, stdout: '' });
      for (const secret of [CANARY, fake.clientSecret, azureKeys(readSealed())[0]?.enc ?? '']) {
        expect(res.stderr).not.toContain(secret);
      }
    }
  });

  it('no credentials: the error names the variables to set', async () => {
    const enc = await keyward(['encrypt', '--azure-kv', `${fake.url}/keys/sops-key`, plainFile], opts({}));
    const dec = await keyward(['decrypt', sealed], opts({}));
    expect(enc.code).not.toBe(0);
    expect(dec).toMatchObject({ code: 128, stdout: '' });
    for (const res of [enc, dec]) {
      expect(res.stderr).toContain(`azure_kv ${fake.url}/keys/sops-key`);
      for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE']) {
        expect(res.stderr).toContain(name);
      }
    }
  });

  it.each(['https://vault.example/secrets/x', 'http://vault.example/keys/x', 'https://vault.example/keys/x/1/2'])(
    'rejects %s, naming it',
    async (url) => {
      const res = await keyward(['encrypt', '--azure-kv', url, plainFile], opts(principal()));
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`${JSON.stringify(url)} is not a Key Vault key URL`);
    },
  );
});

/**
 * The real sops (azidentity DefaultAzureCredential with an environment service principal)
 * against a second fake. Tenant `adfs` makes azidentity skip MSAL's instance discovery,
 * which would otherwise ask login.microsoftonline.com about the authority; the challenge
 * resource `https://0.0.1:<port>` passes the SDK's check that the vault host ends with
 * "." + the resource host.
 */
describe('azure_kv keys: the real sops and keyward read each other’s files (Key Vault fake)', () => {
  const sopsFake = new AzureKvFake('adfs');
  const masked = (text: string) => text.replace(/ENC\[[^\]]*\]|enc: \S+|"\d{4}-\d\d-\d\dT[^"]*"/g, '…');
  let keywardOutput = '';

  beforeAll(async () => {
    await sopsFake.start(dir);
    sopsFake.challengeResource = `https://0.0.1:${new URL(sopsFake.url).port}`;
    sopsFake.addKey('shared');
  });
  afterAll(() => sopsFake.close());

  it('keyward encrypts, the real sops decrypts', async () => {
    const env = opts(principal(sopsFake), sopsFake);
    const enc = await keyward(['encrypt', '--azure-kv', `${sopsFake.url}/keys/shared`, plainFile], env);
    expect(enc).toMatchObject({ code: 0, stderr: '' });
    keywardOutput = enc.stdout;
    const dec = await run(toolPath('sops'), ['decrypt', save('kw-shared.enc.yaml', enc.stdout)], env);
    expect(dec).toMatchObject({ code: 0, stdout: PLAIN });
  });

  it('the real sops encrypts (version resolved by sops), keyward decrypts; the layouts match', async () => {
    const env = opts(principal(sopsFake), sopsFake);
    const enc = await run(toolPath('sops'), ['encrypt', '--azure-kv', `${sopsFake.url}/keys/shared`, plainFile], env);
    expect(enc.code).toBe(0);
    expect(sopsFake.requests).toContain('GET /keys/shared/');
    expect(masked(enc.stdout)).toBe(masked(keywardOutput));
    const dec = await keyward(['decrypt', save('sops-shared.enc.yaml', enc.stdout)], env);
    expect(dec).toMatchObject({ code: 0, stderr: '', stdout: PLAIN });
  });
});
