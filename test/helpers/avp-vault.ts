/**
 * A Vault/OpenBao dev server of its own (the rig's binary, on a free loopback port)
 * laid out as argocd-vault-plugin's input fixtures expect it: `secret/` a KV v1
 * mount and `kv/` a KV v2 mount, holding the values those fixtures name (two versions
 * of `kv/versioned`). A server of its own, because the shared one has `secret/` as KV
 * v2 and other tests use it.
 */

import { startVaultDev, stopServer } from '../rig/servers.js';
import { vaultCaller } from './vault.js';

export interface AvpVault {
  addr: string;
  token: string;
  stop(): Promise<void>;
}

const KV1: Record<string, Record<string, unknown>> = {
  testing: {
    name: 'test-name',
    namespace: 'test-namespace',
    version: '1.0',
    replicas: '2',
    tag: '1.0',
    'secret-var-value': Buffer.from('test-password').toString('base64'),
    'secret-var-value2': Buffer.from('test-password2').toString('base64'),
    'secret-num': Buffer.from('1').toString('base64'),
    'secret-var-clear': 'test-password',
  },
  foo: { secret: 'bar' },
  json: {
    data: {
      service: { enableTLS: true, ports: [80, 8080] },
      deployment: { replicas: 2, image: { name: 'json-test', tag: 'latest' } },
    },
  },
  jsonstring: { secret: JSON.stringify({ credentials: { user: 'test-user', pass: 'test-password' } }) },
  bad_test: { hello: 'world' },
  base64: { encoded_secret: Buffer.from('{\n  "key1": "secret1",\n  "key2": "secret2"\n}\n').toString('base64') },
  yaml: { secret: '---\nkey1: secret1\nkey2: secret2' },
};

const KV2: [string, Record<string, unknown>][] = [
  ['testing', { name: 'test-kv-name', namespace: 'test-kv-namespace', version: '1.2', replicas: '3', tag: '1.1' }],
  ['test', { hello: 'world' }],
  ['versioned', { secret: 'version1' }],
  ['versioned', { secret: 'version2' }],
];

export async function startAvpVault(work: string): Promise<AvpVault> {
  const { server, addr, token } = await startVaultDev('vault-api server for the AVP fixtures', work, 'avp-vault.log');
  const call = vaultCaller(
    () => addr,
    () => token,
  );

  await call('sys/mounts/secret', undefined, 'DELETE');
  await call('sys/mounts/secret', { type: 'kv', options: { version: '1' } });
  await call('sys/mounts/kv', { type: 'kv', options: { version: '2' } });
  for (const [path, data] of Object.entries(KV1)) await call(`secret/${path}`, data);
  // target-port is a number in Vault, so a field that is only this placeholder becomes a number
  const [first, ...rest] = KV2;
  if (first) await call(`kv/data/${first[0]}`, { data: { ...first[1], 'target-port': 80 } });
  for (const [path, data] of rest) await call(`kv/data/${path}`, { data });
  return { addr, token, stop: () => stopServer(server) };
}
