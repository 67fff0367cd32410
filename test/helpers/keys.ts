/**
 * Throwaway keys for tests: the example age identity, fresh age identities made by
 * the real age-keygen, a temporary GnuPG home with the sops conformance PGP key, and
 * transit keys on a fresh mount of the rig's Vault; and the KeywardError an action fails with.
 */

import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { KeywardError } from '../../src/errors.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';
import { CONFORMANCE, REPO, run, tempDir } from './proc.js';

export const DEV_AGE_KEY = join(REPO, 'examples', 'dev-age-key.txt');
export const DEV_AGE_RECIPIENT = 'age1yu4nfhg3d2a6c70vjs00qhteptwdp82hseryqk4g02xxlufy998q9dcl04';
export const PGP_FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

/** A new age identity file; returns its path and recipient. */
export async function freshAgeKey(dir: string, name: string): Promise<{ file: string; recipient: string }> {
  const file = join(dir, `${name}.txt`);
  const res = await run(toolPath('age-keygen'), ['-o', file]);
  if (res.code !== 0) throw new Error(`age-keygen failed: ${res.stderr}`);
  const recipient = /public key: (age1\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!recipient) throw new Error('age-keygen wrote no recipient');
  return { file, recipient };
}

/** A private GNUPGHOME holding the conformance secret keys; its agent is stopped after the file's tests. */
export async function gnupgHome(): Promise<string> {
  const home = join(tempDir('keyward-gpg-'), 'gnupg');
  await run('mkdir', ['-m', '700', home]);
  chmodSync(home, 0o700);
  const res = await run('gpg', ['--batch', '--import', join(CONFORMANCE, 'keys', 'sops_functional_tests_key.asc')], {
    env: { GNUPGHOME: home },
  });
  if (res.code !== 0) throw new Error(`gpg import failed: ${res.stderr}`);
  afterAll(async () => {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env: { GNUPGHOME: home } });
  });
  return home;
}

/**
 * Transit keys `names` on a fresh transit mount of the rig's Vault; returns their
 * key URIs (`<address>/v1/<mount>/keys/<name>`). `address` lets a test reach Vault
 * through a proxy of its own.
 */
export async function transitKeys(names: readonly string[], address = rigEnv(ENV.vaultAddr)): Promise<string[]> {
  const mount = `transit-${randomUUID().slice(0, 8)}`;
  const paths: [string, object][] = [[`sys/mounts/${mount}`, { type: 'transit' }]];
  for (const name of names) paths.push([`${mount}/keys/${name}`, {}]);
  for (const [path, body] of paths) {
    const res = await fetch(`${rigEnv(ENV.vaultAddr)}/v1/${path}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': rigEnv(ENV.vaultToken) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`vault ${path}: HTTP ${res.status}`);
  }
  return names.map((name) => `${address}/v1/${mount}/keys/${name}`);
}

/** The error `action` rejects with (a KeywardError), or a failed expectation. */
export async function failure(action: () => Promise<unknown>): Promise<KeywardError> {
  const err = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeywardError);
  return err as KeywardError;
}
