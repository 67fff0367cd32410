/**
 * `gcp_kms` keys from an untrusted file, in-process against the loopback Cloud KMS
 * FAKE (test/fakes/gcp-kms-fake.ts, which also plays the OAuth token endpoint and the
 * GCE metadata server): resource ids outside Google's documented forms cannot steer
 * the request path; with KEYWARD_AMBIENT_CREDENTIALS off neither gcloud's application
 * default credentials file nor the metadata server is used; the token cache gives
 * nothing to a context with a token of its own, other credentials or none.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHttpFetch } from '../../cli/http.js';
import { ConfigError, KeywardError } from '../../src/errors.js';
import { type GcpKmsRef, keyType } from '../../src/keys/gcp-kms.js';
import type { Context } from '../../src/types.js';
import { type FakeGcpKms, startFakeGcpKms } from '../fakes/gcp-kms-fake.js';
import { testContext } from '../helpers/context.js';
import { tempDir } from '../helpers/proc.js';

const TOKEN = `canary-token-${randomUUID()}`;
const CANARY = `canary-secret-${randomUUID()}`;
const KEY = 'projects/keyward-guard/locations/global/keyRings/ring/cryptoKeys/guard';
const refresh = { clientId: 'client.apps', clientSecret: CANARY, refreshToken: `rt-${randomUUID()}` };
const http = makeHttpFetch({ timeoutMs: 10_000 });
const part = new Uint8Array(randomBytes(32));
const home = tempDir('keyward-gcp-home-');
let fake: FakeGcpKms;
let ref: GcpKmsRef;

const user = (refreshToken = refresh.refreshToken) =>
  JSON.stringify({
    type: 'authorized_user',
    client_id: refresh.clientId,
    client_secret: refresh.clientSecret,
    refresh_token: refreshToken,
    token_uri: `${fake.url}/token`,
  });
const ctx = (settings: Record<string, string>): Context => ({
  ...testContext({ SOPS_GCP_KMS_ENDPOINT: fake.url, GCE_METADATA_HOST: '127.0.0.1:1', ...settings }),
  fetch: http,
});
const count = (what: string) => fake.requests.filter((r) => r.url.includes(what)).length;

async function failure(action: () => Promise<unknown>): Promise<KeywardError> {
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardError);
  for (const secret of [TOKEN, CANARY]) expect((err as Error).message).not.toContain(secret);
  return err as KeywardError;
}

beforeAll(async () => {
  fake = await startFakeGcpKms({ token: TOKEN, refresh });
  ref = keyType.parseRef({ resource_id: KEY });
  mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
  writeFileSync(join(home, '.config', 'gcloud', 'application_default_credentials.json'), user());
});
afterAll(() => fake?.close());

describe('gcp_kms resource ids', () => {
  it.each([
    'projects/../locations/global/keyRings/r/cryptoKeys/k',
    'projects/p/locations/../keyRings/r/cryptoKeys/k',
    'projects/p/locations/global/keyRings/../cryptoKeys/k',
    'projects/p/locations/global/keyRings/r/cryptoKeys/..',
    'projects/p/locations/global/keyRings/r/cryptoKeys/k:decrypt?x=',
    'projects/p/locations/global/keyRings/r/cryptoKeys/k#x',
    'projects/p%2F..%2Fx/locations/global/keyRings/r/cryptoKeys/k',
    'projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1',
    'projects/My-Project/locations/global/keyRings/r/cryptoKeys/k',
    'projects/p/locations/Global/keyRings/r/cryptoKeys/k',
    'projects/a..b:p/locations/global/keyRings/r/cryptoKeys/k',
    `projects/p/locations/global/keyRings/${'r'.repeat(64)}/cryptoKeys/k`,
    'projects/p/locations/global/keyRings/r.x/cryptoKeys/k',
    'projects/p/locations/global/keyRings/r/cryptoKeys/k\\x',
  ])('refuses %s', (id) => {
    expect(() => keyType.parseRef({ resource_id: id })).toThrow(ConfigError);
    expect(() => keyType.parseFlag?.(id)).toThrow(/^gcp_kms: ".*" is not a Cloud KMS key id/);
  });

  it('accepts project ids, domain-scoped ids, project numbers and Google location ids', () => {
    for (const id of [
      KEY,
      'projects/p/locations/l/keyRings/r/cryptoKeys/k',
      'projects/example.com:my-project/locations/europe-west1/keyRings/team_ring-1/cryptoKeys/Key_1-a',
      'projects/123456789012/locations/nam-eur-asia1/keyRings/r/cryptoKeys/k',
    ]) {
      expect(keyType.parseRef({ resource_id: id }).resourceId).toBe(id);
    }
  });
});

describe('KEYWARD_AMBIENT_CREDENTIALS and Google credentials', () => {
  it('on: the gcloud file in HOME, else the metadata server, gives a token', async () => {
    const tokens = count('/token');
    const enc = await keyType.wrap(ref, part, ctx({ HOME: home }));
    expect(count('/token')).toBe(tokens + 1);
    const metadata = ctx({ GCE_METADATA_HOST: fake.url.replace('http://', '') });
    expect(await keyType.unwrap(ref, enc, metadata)).toEqual(part);
    expect(count('/computeMetadata/')).toBe(1);
  });

  it('off: neither is used, the error names the settings, nothing is asked', async () => {
    const before = fake.requests.length;
    const metadataHost = fake.url.replace('http://', '');
    for (const off of ['off', 'false', 'no', '0']) {
      const c = ctx({ HOME: home, GCE_METADATA_HOST: metadataHost, KEYWARD_AMBIENT_CREDENTIALS: off });
      const err = await failure(() => keyType.wrap(ref, part, c));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toBe(
        `gcp_kms ${KEY}: no Google credentials (set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS; KEYWARD_AMBIENT_CREDENTIALS is off)`,
      );
    }
    expect(fake.requests.length).toBe(before);
    const named = ctx({ HOME: home, GOOGLE_CREDENTIALS: user(), KEYWARD_AMBIENT_CREDENTIALS: 'off' });
    expect(await keyType.unwrap(ref, await keyType.wrap(ref, part, named), named)).toEqual(part);
  });
});

describe('the Google token cache', () => {
  it('never gives a cached token to a context with its own token, other credentials or none', async () => {
    const withUser = ctx({ GOOGLE_CREDENTIALS: user() });
    const enc = await keyType.wrap(ref, part, withUser);
    const tokens = count('/token');
    expect(await keyType.unwrap(ref, enc, withUser)).toEqual(part);
    expect(count('/token')).toBe(tokens);
    const own = await failure(() => keyType.unwrap(ref, enc, ctx({ GOOGLE_OAUTH_ACCESS_TOKEN: 'not-the-token' })));
    expect(own.message).toContain(`gcp_kms ${KEY}: Cloud KMS refused to decrypt (PERMISSION_DENIED`);
    const other = await failure(() => keyType.unwrap(ref, enc, ctx({ GOOGLE_CREDENTIALS: user('revoked') })));
    expect(other.message).toContain('gave no access token (invalid_grant)');
    expect(count('/token')).toBe(tokens + 1);
    const none = await failure(() => keyType.unwrap(ref, enc, ctx({ KEYWARD_AMBIENT_CREDENTIALS: 'off' })));
    expect(none.message).toContain('no Google credentials');
  });
});
