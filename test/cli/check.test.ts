/**
 * `keyward check`, the Git guard: a small repository with a .sops.yaml, committed
 * secrets in every state (encrypted, plaintext, tampered), Kubernetes Secrets with
 * literal values and placeholders, and a private key. Each rule is found with its
 * place, the allow-list exempts a field, JSON output, --resolve proves references
 * against the memory backend, the exit code says whether anything was found, and
 * no secret value is ever printed.
 */

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEV_AGE_KEY, DEV_AGE_RECIPIENT } from '../helpers/keys.js';
import { keyward, REPO, tempDir } from '../helpers/proc.js';

const repo = tempDir();
const CANARY = 'canary-literal-7d41';
const run = (args: string[], env: Record<string, string> = {}) =>
  keyward(['check', ...args], { cwd: repo, clean: true, env: { SOPS_AGE_KEY_FILE: DEV_AGE_KEY, ...env } });

beforeAll(() => {
  mkdirSync(join(repo, 'secrets'));
  mkdirSync(join(repo, 'k8s'));
  writeFileSync(
    join(repo, '.sops.yaml'),
    `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${DEV_AGE_RECIPIENT}\n`,
  );
  copyFileSync(join(REPO, 'examples', 'secrets.enc.yaml'), join(repo, 'secrets', 'good.yaml'));
  const tampered = readFileSync(join(REPO, 'examples', 'secrets.enc.yaml'), 'utf8').replace(
    'owner_unencrypted: platform-team',
    'owner_unencrypted: someone-else',
  );
  writeFileSync(join(repo, 'secrets', 'tampered.yaml'), tampered);
  writeFileSync(join(repo, 'secrets', 'plain.yaml'), `password: ${CANARY}\n`);
  const secret = [
    'kind: Secret',
    'metadata:',
    '  name: db',
    'stringData:',
    `  password: ${CANARY}`,
    '  user: <memory:app#user>',
    '  missing: <memory:app#nope>',
    '  token: <memory:app#user | shout>',
    'data:',
    `  legacy: ${Buffer.from(CANARY).toString('base64')}`,
    '  templated: PG1lbW9yeTphcHAjdXNlcj4=',
  ].join('\n');
  writeFileSync(
    join(repo, 'k8s', 'secret.yaml'),
    `${secret}\n---\nkind: ConfigMap\ndata:\n  plain: ${CANARY}-not-secret\n`,
  );
  writeFileSync(
    join(repo, 'k8s', 'id_ed25519'),
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  );
});

describe('keyward check', () => {
  it('finds each rule with its place; exit 1; no value printed', async () => {
    const res = await run([]);
    expect(res.code).toBe(1);
    const lines = res.stdout.trim().split('\n').sort();
    expect(lines).toEqual(
      [
        'k8s/id_ed25519 (line 1): private-key: private key material',
        'k8s/secret.yaml (document 0, stringData.password): secret-literal: Secret db holds a literal value (use a placeholder, SOPS-encrypt the file, or allow it)',
        'k8s/secret.yaml (document 0, data.legacy): secret-literal: Secret db holds a literal value (use a placeholder, SOPS-encrypt the file, or allow it)',
        'k8s/secret.yaml (document 0, stringData.token): placeholder: <memory:app#user | shout>: invalid modifier shout',
        'secrets/plain.yaml: unencrypted: a .sops.yaml rule says this file is encrypted, and it is not',
        'secrets/tampered.yaml: mac-mismatch: the file was changed outside sops/keyward (its MAC or a value does not verify)',
      ].sort(),
    );
    expect(res.stderr).toBe('keyward check: 6 files, 6 findings\n');
    expect(res.stdout + res.stderr).not.toContain(CANARY);
  });

  it('--allow exempts a Secret field; JSON output', async () => {
    const res = await run(['--allow', 'db/pass*', '--allow', 'db/legacy', '--output', 'json', 'k8s/secret.yaml']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout) as { files: number; findings: { rule: string; where: string }[] };
    expect(report.files).toBe(1);
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'placeholder', where: 'document 0, stringData.token' }),
    ]);
  });

  it('--resolve proves the references exist, without printing values', async () => {
    const secrets = JSON.stringify({ app: { user: `${CANARY}-user` } });
    const res = await run(['--resolve', '--allow', 'db/*', 'k8s/secret.yaml'], { KEYWARD_MEMORY_SECRETS: secrets });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      '(document 0, stringData.missing): missing-secret: <memory:app#nope>: no key nope in memory:app',
    );
    expect(res.stdout).not.toContain('stringData.user');
    expect(res.stdout + res.stderr).not.toContain(CANARY);
  });

  it('a clean tree: exit 0 and "no findings"', async () => {
    const res = await run(['secrets/good.yaml', '.sops.yaml']);
    expect(res).toMatchObject({ code: 0, stdout: '', stderr: 'keyward check: 2 files, no findings\n' });
  });
});
