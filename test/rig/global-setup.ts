/**
 * vitest global setup: checks that every real component is installed, starts an
 * OpenBao/Vault dev server and local-kms on free loopback ports, hands their
 * addresses to the tests through environment variables, and stops them at the end.
 * A missing tool fails the whole run: no test is ever skipped for it.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, missingTools, RIG_DIR, toolPath } from './paths.js';
import { freePort, type RunningServer, startServer, startVaultDev, stopServer, waitUntilReady } from './servers.js';

const KMS_REGION = 'eu-west-2';
const KMS_ACCOUNT = '111122223333';

function checkTools(): void {
  const missing = missingTools();
  try {
    execFileSync('gpg', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push('gpg');
  }
  if (missing.length > 0) {
    throw new Error(
      `test rig: missing ${missing.join(', ')} in ${RIG_DIR}. Run \`npm run rig\` (test/rig/install.sh) first.`,
    );
  }
}

async function startVault(work: string): Promise<RunningServer> {
  const { server, addr, token } = await startVaultDev('vault-api server', work, 'vault.log');
  const kind = readFileSync(join(RIG_DIR, 'stamps', 'rig-vault'), 'utf8').trim();
  Object.assign(process.env, { [ENV.vaultAddr]: addr, [ENV.vaultToken]: token, [ENV.vaultKind]: kind });
  return server;
}

async function startKms(work: string): Promise<RunningServer> {
  const port = await freePort();
  const keyId = randomUUID();
  const seed = join(work, 'kms-seed.yaml');
  writeFileSync(
    seed,
    `Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: ${keyId}\n        BackingKeys:\n          - ${randomBytes(32).toString('hex')}\nAliases:\n  - AliasName: alias/keyward-test\n    TargetKeyId: ${keyId}\n`,
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const server = startServer(
    'local-kms',
    toolPath('local-kms'),
    [],
    {
      PORT: String(port),
      KMS_REGION,
      KMS_ACCOUNT_ID: KMS_ACCOUNT,
      KMS_SEED_PATH: seed,
      KMS_DATA_PATH: join(work, 'kms-data'),
    },
    join(work, 'kms.log'),
  );
  await waitUntilReady(server, async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'TrentService.ListKeys' },
      body: '{}',
    });
    return res.status === 200;
  });
  Object.assign(process.env, {
    [ENV.kmsEndpoint]: endpoint,
    [ENV.kmsRegion]: KMS_REGION,
    [ENV.kmsKeyArn]: `arn:aws:kms:${KMS_REGION}:${KMS_ACCOUNT}:key/${keyId}`,
  });
  return server;
}

export default async function setup(): Promise<() => Promise<void>> {
  checkTools();
  const work = mkdtempSync(join(tmpdir(), 'keyward-rig-'));
  const servers: RunningServer[] = [];
  const teardown = async () => {
    await Promise.all(servers.map(stopServer));
    rmSync(work, { recursive: true, force: true });
  };
  const started = await Promise.allSettled([startVault(work), startKms(work)]);
  for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  return teardown;
}
