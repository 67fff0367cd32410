/**
 * `hc_vault` keys from an untrusted file: SOPS_HC_VAULT_ALLOWLIST is compared as parsed
 * URLs, and a server it does not allow is refused BEFORE any request, so the token
 * never reaches it (a loopback listener counts connections and keeps every byte);
 * whatever the allow-list, an address with user, path, query or fragment and engine
 * paths or key names that could steer the request are refused; with
 * KEYWARD_AMBIENT_CREDENTIALS off `~/.vault-token` is not read (against the rig's Vault).
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHttpFetch } from '../../cli/http.js';
import { ConfigError } from '../../src/errors.js';
import { keyType, type VaultRef } from '../../src/keys/hc-vault.js';
import type { Context } from '../../src/types.js';
import { type RecordingProxy, startRecordingProxy } from '../fakes/sts-fake-and-proxy.js';
import { testContext } from '../helpers/context.js';
import { failure, transitKeys } from '../helpers/keys.js';
import { tempDir } from '../helpers/proc.js';
import { ENV, rigEnv } from '../rig/paths.js';
import { type RecordingListener, startRecordingListener } from './recording-listener.js';

const TOKEN = `canary-token-${randomUUID()}`;
const PASSWORD = `canary-password-${randomUUID()}`;
const http = makeHttpFetch({ timeoutMs: 10_000 });
const part = new Uint8Array(randomBytes(32));
let listener: RecordingListener;
let host = '';

const ctx = (settings: Record<string, string>): Context => ({ ...testContext(settings), fetch: http });
const ref = (address: string, enginePath = 'transit', keyName = 'k'): VaultRef => ({ address, enginePath, keyName });

beforeAll(async () => {
  listener = await startRecordingListener();
  host = `127.0.0.1:${listener.port}`;
});
afterAll(() => listener?.close());

describe('SOPS_HC_VAULT_ALLOWLIST', () => {
  const refused: [string, (port: number) => string][] = [
    ['none', () => 'none'],
    ['another scheme', (port) => `https://127.0.0.1:${port}`],
    ['another port', (port) => `http://127.0.0.1:${port + 1}`],
    ['the default port', () => 'http://127.0.0.1'],
    ['a text prefix of the port', (port) => `http://127.0.0.1:${String(port).slice(0, -1)}`],
    ['another name for the host', (port) => `http://localhost:${port}`],
    ['a longer host', (port) => `http://127.0.0.1.nip.io:${port}`],
    ['another engine path', (port) => `http://127.0.0.1:${port}/v1/other`],
    ['a text prefix of the engine path', (port) => `http://127.0.0.1:${port}/v1/trans`],
  ];

  it.each(refused)('%s: refused before any request; the token never reaches the server', async (_, list) => {
    const before = listener.connections();
    const settings = { VAULT_TOKEN: TOKEN, SOPS_HC_VAULT_ALLOWLIST: list(listener.port) };
    const key = keyType.parseRef({ vault_address: listener.url, engine_path: 'transit', key_name: 'k' });
    for (const run of [
      () => keyType.unwrap(key, 'vault:v1:x', ctx(settings)),
      () => keyType.wrap(key, part, ctx(settings)),
    ]) {
      const err = await failure(run);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toBe(
        `hc_vault ${listener.url}/v1/transit/keys/k: the server is not in SOPS_HC_VAULT_ALLOWLIST`,
      );
      expect(err.message).not.toContain(TOKEN);
    }
    expect(listener.connections()).toBe(before);
    expect(listener.received()).not.toContain(TOKEN);
  });

  it('the same server allowed (origin or engine path): the request and the token do reach it', async () => {
    const lists = [listener.url, `http://localhost:1, ${listener.url}/v1/transit/`, `http://[::1]:1,http://${host}/v1`];
    for (const list of lists) {
      const before = listener.connections();
      const settings = { VAULT_TOKEN: TOKEN, SOPS_HC_VAULT_ALLOWLIST: list };
      const err = await failure(() => keyType.unwrap(ref(listener.url), 'vault:v1:x', ctx(settings)));
      expect(err.message).toBe(`hc_vault ${listener.url}/v1/transit/keys/k: Vault refused to decrypt (HTTP 503)`);
      expect(listener.connections()).toBe(before + 1);
    }
    expect(listener.received()).toContain(TOKEN);
  });

  it('a malformed allow-list entry is a ConfigError naming the setting, and nothing is sent', async () => {
    const before = listener.connections();
    const settings = { VAULT_TOKEN: TOKEN, SOPS_HC_VAULT_ALLOWLIST: `${host}` };
    const err = await failure(() => keyType.unwrap(ref(listener.url), 'vault:v1:x', ctx(settings)));
    expect(err.message).toContain('SOPS_HC_VAULT_ALLOWLIST entry');
    expect(listener.connections()).toBe(before);
  });
});

describe('hc_vault keys that could steer the request (refused whatever the allow-list)', () => {
  const addresses = (h: string) => [
    `http://user:${PASSWORD}@${h}`,
    `http://${PASSWORD}@${h}`,
    `http://${h}/prefix`,
    `http://${h}/v1/sys/..`,
    `http://${h}//`,
    `http://${h}?x=1`,
    `http://${h}#f`,
    `http://${h}\\@evil.example`,
    `http://${h}\n`,
    ` http://${h}`,
    `ftp://${h}`,
    `file:///etc`,
    h,
  ];
  const enginePaths = [
    '..',
    '.',
    'transit/..',
    '../sys',
    'a//b',
    '/transit',
    'tr%2F..',
    'tr?x=',
    'tr#x',
    'tr\\x',
    'tr x',
    'tr\0',
  ];
  const keyNames = ['..', '.', 'k/x', 'k?x', 'k#x', 'k%2f', 'k x', 'k\\x', 'k\n'];

  it('each is a ConfigError from parseRef naming the key, never a password; unwrap refuses it too, with no request', async () => {
    const before = listener.connections();
    const bad = [
      ...addresses(host).map((a) => ref(a)),
      ...enginePaths.map((e) => ref(listener.url, e)),
      ...keyNames.map((k) => ref(listener.url, 'transit', k)),
    ];
    for (const key of bad) {
      const fields = { vault_address: key.address, engine_path: key.enginePath, key_name: key.keyName };
      const parsed = await failure(async () => keyType.parseRef(fields));
      expect(parsed).toBeInstanceOf(ConfigError);
      expect(parsed.message).toMatch(/^hc_vault ".*": (vault_address must be|engine_path segments and key_name)/);
      expect(parsed.message).not.toContain(PASSWORD);
      const settings = { VAULT_TOKEN: TOKEN, SOPS_HC_VAULT_ALLOWLIST: 'all' };
      const used = await failure(() => keyType.unwrap(key, 'vault:v1:x', ctx(settings)));
      expect(used.message).toBe(parsed.message);
    }
    expect(listener.connections()).toBe(before);
  });

  it('transit key URIs with dot segments are refused by parseFlag', async () => {
    for (const uri of [`${listener.url}/v1/../sys/keys/k`, `${listener.url}/v1/transit/keys/..`]) {
      expect(() => keyType.parseFlag?.(uri)).toThrow(ConfigError);
    }
    expect(await keyType.parseFlag?.(`${listener.url}/v1/team/transit-1/keys/key_1.v2`)).toEqual(
      ref(listener.url, 'team/transit-1', 'key_1.v2'),
    );
  });
});

describe('KEYWARD_AMBIENT_CREDENTIALS and ~/.vault-token', () => {
  let proxy: RecordingProxy;
  let key: VaultRef;
  let enc = '';
  const home = tempDir('keyward-vault-home-');

  beforeAll(async () => {
    proxy = await startRecordingProxy(rigEnv(ENV.vaultAddr));
    const [uri = ''] = await transitKeys(['ambient'], proxy.url);
    key = (await keyType.parseFlag?.(uri)) ?? ref('');
    enc = await keyType.wrap(key, part, ctx({ VAULT_TOKEN: rigEnv(ENV.vaultToken) }));
    writeFileSync(join(home, '.vault-token'), `${rigEnv(ENV.vaultToken)}\n`);
  });
  afterAll(() => proxy?.close());

  it('on (the default): the token file in HOME unwraps the key', async () => {
    for (const on of [{}, { KEYWARD_AMBIENT_CREDENTIALS: 'yes' }] as Record<string, string>[]) {
      expect(await keyType.unwrap(key, enc, ctx({ HOME: home, ...on }))).toEqual(part);
    }
  });

  it('off: the token file is not used, the error says to set VAULT_TOKEN, and Vault is not asked', async () => {
    for (const off of ['off', 'false', 'no', '0']) {
      const before = proxy.paths.length;
      const settings = { HOME: home, KEYWARD_AMBIENT_CREDENTIALS: off };
      const err = await failure(() => keyType.unwrap(key, enc, ctx(settings)));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain('no Vault token (set VAULT_TOKEN;');
      expect(err.message).toContain('KEYWARD_AMBIENT_CREDENTIALS is off');
      expect(err.message).not.toContain(rigEnv(ENV.vaultToken));
      expect(proxy.paths.length).toBe(before);
    }
    const named = { VAULT_TOKEN: rigEnv(ENV.vaultToken), KEYWARD_AMBIENT_CREDENTIALS: 'off' };
    expect(await keyType.unwrap(key, enc, ctx(named))).toEqual(part);
  });
});
