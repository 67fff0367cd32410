/**
 * The shared key-type conformance suite: every registered key type, driven through
 * the KeyType interface in-process against its real service (age and gpg, the
 * rig's local-kms and Vault) or its loopback fake (GCP KMS, Azure Key Vault: FAKES,
 * as no real one runs here). Each must round-trip its flag and fields, wrap and
 * unwrap a data key and a Shamir share, wrap non-deterministically, refuse a
 * tampered `enc` with a typed error that holds no key material, and declare
 * `created_at` as sops does. A key type without a harness here fails the suite.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHttpFetch } from '../../cli/http.js';
import { KeywardError } from '../../src/errors.js';
import { keyTypeIds, loadKeyType } from '../../src/keys/index.js';
import type { Context, KeyType } from '../../src/types.js';
import { AzureKvFake } from '../fakes/azure-kv-fake.js';
import { startFakeGcpKms } from '../fakes/gcp-kms-fake.js';
import { testContext } from '../helpers/context.js';
import { freshAgeKey, gnupgHome, PGP_FP, transitKeys } from '../helpers/keys.js';
import { tempDir } from '../helpers/proc.js';
import { ENV, rigEnv } from '../rig/paths.js';

interface Harness {
  ctx: Context;
  flag: string;
}

const dir = tempDir();
const closers: (() => Promise<void> | void)[] = [];
const http = makeHttpFetch({ timeoutMs: 10_000 });

const harnesses: Record<string, () => Promise<Harness>> = {
  age: async () => {
    const key = await freshAgeKey(dir, 'conformance');
    return { ctx: testContext({ SOPS_AGE_KEY_FILE: key.file, HOME: dir }), flag: key.recipient };
  },
  pgp: async () => ({ ctx: testContext({ GNUPGHOME: await gnupgHome() }, true), flag: PGP_FP }),
  kms: async () => {
    const settings = {
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 'k',
      AWS_ENDPOINT_URL_KMS: rigEnv(ENV.kmsEndpoint),
    };
    return { ctx: testContext(settings), flag: rigEnv(ENV.kmsKeyArn) };
  },
  hc_vault: async () => ({
    ctx: { ...testContext({ VAULT_TOKEN: rigEnv(ENV.vaultToken) }), fetch: http },
    flag: (await transitKeys(['conformance']))[0] ?? '',
  }),
  gcp_kms: async () => {
    const token = `token-${randomUUID()}`;
    const fake = await startFakeGcpKms({ token });
    closers.push(() => fake.close());
    const settings = { GOOGLE_OAUTH_ACCESS_TOKEN: token, SOPS_GCP_KMS_ENDPOINT: fake.url };
    return { ctx: { ...testContext(settings), fetch: http }, flag: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' };
  },
  azure_kv: async () => {
    const fake = await new AzureKvFake().start(dir);
    closers.push(() => fake.close());
    fake.addKey('conformance');
    const settings = {
      AZURE_TENANT_ID: fake.tenant,
      AZURE_CLIENT_ID: fake.clientId,
      AZURE_CLIENT_SECRET: fake.clientSecret,
      AZURE_AUTHORITY_HOST: fake.url,
    };
    const fetch = makeHttpFetch({ timeoutMs: 10_000, ca: readFileSync(fake.certFile) });
    return { ctx: { ...testContext(settings), fetch }, flag: `${fake.url}/keys/conformance` };
  },
};

afterAll(async () => {
  for (const close of closers) await close();
});

it('every registered key type has a conformance harness', () => {
  expect(Object.keys(harnesses).sort()).toEqual([...keyTypeIds].sort());
});

describe.each(Object.keys(harnesses))('key type %s', (id) => {
  let type: KeyType<unknown>;
  let env: Harness;
  let ref: unknown;

  beforeAll(async () => {
    const loaded = await loadKeyType(id);
    if (!loaded?.parseFlag) throw new Error(`${id}: not registered or no parseFlag`);
    type = loaded;
    env = await (harnesses[id] as () => Promise<Harness>)();
    ref = await loaded.parseFlag(env.flag);
  });

  it('declares its id and created_at as sops writes it', () => {
    expect(type.id).toBe(id);
    expect(type.hasCreatedAt).toBe(id !== 'age');
  });

  it('round-trips flag → fields → ref → fields', () => {
    const fields = type.formatRef(ref);
    expect(Object.keys(fields)).not.toContain('enc');
    expect(Object.keys(fields)).not.toContain('created_at');
    expect(type.formatRef(type.parseRef(fields))).toEqual(fields);
    expect(type.describe(type.parseRef(fields))).toBe(type.describe(ref));
  });

  it('wraps and unwraps a data key and a Shamir share, differently each time', async () => {
    for (const part of [randomBytes(32), randomBytes(33)]) {
      const first = await type.wrap(ref, part, env.ctx);
      const second = await type.wrap(ref, part, env.ctx);
      expect(first).not.toBe(second);
      expect(first).not.toContain(part.toString('base64'));
      expect(Buffer.from((await type.unwrap(ref, first, env.ctx)) ?? [])).toEqual(part);
      expect(Buffer.from((await type.unwrap(ref, second, env.ctx)) ?? [])).toEqual(part);
    }
  });

  it('refuses a tampered enc with a typed error naming no key material', async () => {
    const part = randomBytes(32);
    const enc = await type.wrap(ref, part, env.ctx);
    const at = Math.floor(enc.length / 2);
    const tampered = `${enc.slice(0, at)}${enc[at] === 'A' ? 'B' : 'A'}${enc.slice(at + 1)}`;
    const outcome = await type.unwrap(ref, tampered, env.ctx).then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    if (outcome.error === undefined) {
      // a type may also answer "no identity here" (null); it must never hand back other bytes as the key
      expect(outcome.value === null || Buffer.from(outcome.value ?? []).equals(part)).toBe(true);
      return;
    }
    expect(outcome.error).toBeInstanceOf(KeywardError);
    const message = (outcome.error as Error).message;
    for (const secret of [part.toString('base64'), part.toString('hex'), enc, tampered]) {
      expect(message).not.toContain(secret);
    }
  });
});
