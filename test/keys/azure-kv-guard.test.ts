/**
 * `azure_kv` keys from an untrusted file, against the loopback Key Vault / Entra FAKE
 * (test/fakes/azure-kv-fake.ts) and a recording listener: KEYWARD_AZURE_KV_ALLOWLIST
 * refuses a vault before any token request or connection; vault URLs with user, path
 * or query and key names or versions outside Azure's characters are refused; the token
 * cache never hands one credential's token to a context with another secret, another
 * federated token, or a token of its own; no secret ever appears in a message.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHttpFetch } from '../../cli/http.js';
import { ConfigError } from '../../src/errors.js';
import { type AzureRef, keyType } from '../../src/keys/azure-kv/index.js';
import type { Context } from '../../src/types.js';
import { AzureKvFake } from '../fakes/azure-kv-fake.js';
import { testContext } from '../helpers/context.js';
import { failure } from '../helpers/keys.js';
import { tempDir } from '../helpers/proc.js';
import { type RecordingListener, startRecordingListener } from './recording-listener.js';

const dir = tempDir();
const CANARY = `canary-secret-${randomUUID()}`;
const fake = new AzureKvFake();
const part = new Uint8Array(randomBytes(32));
let listener: RecordingListener;
let fetcher = makeHttpFetch();

const ctx = (settings: Record<string, string>): Context => ({ ...testContext(settings), fetch: fetcher });
const principal = (secret = fake.clientSecret): Record<string, string> => ({
  AZURE_TENANT_ID: fake.tenant,
  AZURE_CLIENT_ID: fake.clientId,
  AZURE_CLIENT_SECRET: secret,
  AZURE_AUTHORITY_HOST: fake.url,
});
const tokenRequests = () => fake.requests.filter((r) => r.includes('/oauth2/v2.0/token')).length;
const ref = (vaultUrl: string, name = 'guarded', version = ''): AzureRef => ({ vaultUrl, name, version });

beforeAll(async () => {
  await fake.start(dir);
  fetcher = makeHttpFetch({ timeoutMs: 10_000, ca: readFileSync(fake.certFile) });
  fake.addKey('guarded');
  fake.addKey('other');
  listener = await startRecordingListener();
});
afterAll(async () => {
  await fake.close();
  await listener?.close();
});

describe('KEYWARD_AZURE_KV_ALLOWLIST', () => {
  const lists: [string, (port: number) => string][] = [
    ['none', () => 'none'],
    ['Azure clouds only', () => 'https://*.vault.azure.net,https://*.vault.azure.cn'],
    ['another port', (port) => `https://127.0.0.1:${port + 1}`],
    ['a text prefix of the port', (port) => `https://127.0.0.1:${String(port).slice(0, -1)}`],
    ['http instead of https', (port) => `http://127.0.0.1:${port}`],
    ['another key', (port) => `https://127.0.0.1:${port}/keys/other`],
  ];

  it.each(lists)('%s: refused before any token request or connection; no secret sent', async (_, list) => {
    const [connections, tokens] = [listener.connections(), tokenRequests()];
    const vault = `https://127.0.0.1:${listener.port}`;
    const given = { AZURE_ACCESS_TOKEN: CANARY, KEYWARD_AZURE_KV_ALLOWLIST: list(listener.port) };
    const spn = { ...principal(), KEYWARD_AZURE_KV_ALLOWLIST: list(listener.port) };
    for (const settings of [given, spn]) {
      for (const run of [
        () => keyType.wrap(ref(vault), part, ctx(settings)),
        () => keyType.unwrap(ref(vault, 'guarded', '0123abcd'), 'AAAA', ctx(settings)),
      ]) {
        const err = await failure(run);
        expect(err).toBeInstanceOf(ConfigError);
        expect(err.message).toMatch(
          new RegExp(`^azure_kv ${vault}/keys/guarded(/0123abcd)?: the vault is not in KEYWARD_AZURE_KV_ALLOWLIST$`),
        );
      }
    }
    expect([listener.connections(), tokenRequests()]).toEqual([connections, tokens]);
    expect(listener.received()).not.toContain(CANARY);
  });

  it('the vault allowed (origin, or the key path): it is asked; another key of it is not', async () => {
    const before = listener.connections();
    const atListener = { AZURE_ACCESS_TOKEN: CANARY, KEYWARD_AZURE_KV_ALLOWLIST: `https://127.0.0.1:${listener.port}` };
    await failure(() => keyType.wrap(ref(`https://127.0.0.1:${listener.port}`), part, ctx(atListener)));
    expect(listener.connections()).toBe(before + 1);
    const scoped = { ...principal(), KEYWARD_AZURE_KV_ALLOWLIST: `https://localhost:1, ${fake.url}/keys/guarded` };
    const key = ref(fake.url);
    const enc = await keyType.wrap(key, part, ctx(scoped));
    expect(await keyType.unwrap(key, enc, ctx(scoped))).toEqual(part);
    const requests = fake.requests.length;
    const err = await failure(() => keyType.wrap(ref(fake.url, 'other'), part, ctx(scoped)));
    expect(err.message).toBe(`azure_kv ${fake.url}/keys/other: the vault is not in KEYWARD_AZURE_KV_ALLOWLIST`);
    expect(fake.requests.length).toBe(requests);
  });
});

describe('azure_kv keys that could steer the request (refused whatever the allow-list)', () => {
  it('vault URLs with user, path, query or fragment, and names or versions outside [A-Za-z0-9-]', async () => {
    const h = `127.0.0.1:${listener.port}`;
    const bad: Record<string, string>[] = [
      ...[`https://user:${CANARY}@${h}`, `https://${CANARY}@${h}`, `https://${h}/keys`, `https://${h}?x=1`].map(
        (vault_url) => ({ vault_url, name: 'guarded' }),
      ),
      ...[`https://${h}#f`, `https://${h}\\@evil.example`, `http://${h}`, h].map((vault_url) => ({
        vault_url,
        name: 'guarded',
      })),
      ...['..', 'a/b', 'a?b', 'a#b', 'a%2f', 'a.b', 'a_b', 'a\\b'].map((name) => ({ vault_url: `https://${h}`, name })),
      ...['..', 'v/1', 'v?1', 'v%2f', 'v.1'].map((version) => ({ vault_url: `https://${h}`, name: 'k', version })),
    ];
    for (const fields of bad) {
      const err = await failure(async () => keyType.parseRef(fields));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(/^azure_kv( ".*")?: (vault URL|key names and versions)/);
      expect(err.message).not.toContain(CANARY);
    }
    for (const url of [`https://${h}/keys/a.b`, `https://${h}/keys/k/v.1`, `https://u@${h}/keys/k`]) {
      expect(() => keyType.parseFlag?.(url)).toThrow(ConfigError);
    }
    const before = listener.connections();
    const err = await failure(() => keyType.wrap(ref(`https://${h}/x`), part, ctx({ AZURE_ACCESS_TOKEN: CANARY })));
    expect(err.message).toContain('is not https://<vault host>');
    expect(listener.connections()).toBe(before);
  });
});

describe('the Entra token cache', () => {
  it('a context with another client secret never gets the cached token; nor does a given token', async () => {
    const key = ref(fake.url);
    const enc = await keyType.wrap(key, part, ctx(principal()));
    const first = tokenRequests();
    expect(await keyType.unwrap(key, enc, ctx(principal()))).toEqual(part);
    expect(tokenRequests()).toBe(first);
    const wrong = await failure(() => keyType.unwrap(key, enc, ctx(principal(CANARY))));
    expect(wrong.message).toContain(`azure_kv ${fake.url}/keys/guarded/`);
    expect(wrong.message).toContain('Microsoft Entra refused a token (invalid_client');
    expect(wrong.message).not.toContain(CANARY);
    expect(tokenRequests()).toBe(first + 1);
    const given = await failure(() => keyType.unwrap(key, enc, ctx({ ...principal(), AZURE_ACCESS_TOKEN: CANARY })));
    expect(given.message).toContain('Key Vault refused to decrypt (HTTP 401');
    expect(given.message).not.toContain(CANARY);
    // the right secret still hits its own cached token
    expect(await keyType.unwrap(key, enc, ctx(principal()))).toEqual(part);
    expect(tokenRequests()).toBe(first + 1);
  });

  it('a federated token file whose content changed never reuses the token of the old content', async () => {
    const file = join(dir, 'federated-token');
    const federated = {
      AZURE_TENANT_ID: fake.tenant,
      AZURE_CLIENT_ID: fake.clientId,
      AZURE_FEDERATED_TOKEN_FILE: file,
      AZURE_AUTHORITY_HOST: fake.url,
    };
    const key = ref(fake.url, 'other');
    writeFileSync(file, fake.assertion);
    const first = tokenRequests();
    const enc = await keyType.wrap(key, part, ctx(federated));
    expect(tokenRequests()).toBe(first + 1);
    writeFileSync(file, CANARY);
    const refused = await failure(() => keyType.unwrap(key, enc, ctx(federated)));
    expect(refused.message).toContain('Microsoft Entra refused a token (invalid_client');
    expect(refused.message).not.toContain(CANARY);
    expect(tokenRequests()).toBe(first + 2);
    writeFileSync(file, fake.assertion);
    expect(await keyType.unwrap(key, enc, ctx(federated))).toEqual(part);
    expect(tokenRequests()).toBe(first + 2);
  });
});
