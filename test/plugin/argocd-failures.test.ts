/**
 * The plugin fails closed: Vault down, a missing key, a broken chart, a missing tool,
 * a value file outside the repository and an app that renders to nothing each exit
 * non-zero with nothing on stdout and a clear stderr line; a canary stored in Vault
 * never reaches stderr. A secret landing outside a Secret is a warning (without the
 * value), an error in strict mode. Then discover and init, as cmp-server calls them.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type App, cmp, demoVault, exampleRepo, type Sidecar } from '../helpers/argocd.js';
import { tempDir } from '../helpers/proc.js';

const dir = tempDir();
const CANARY = `canary-${randomUUID()}`;
const plain: App = { name: 'shop-plain', path: 'apps/plain' };
const helm: App = { name: 'shop-helm', path: 'apps/helm' };
let sidecar: Sidecar;

beforeAll(async () => {
  sidecar = await demoVault({ canary: { value: CANARY, other: 'other-value' } });
});

/** A fresh copy of the example repository with `file` (relative to it) written. */
function repoWith(file: string, text: string): string {
  const repo = exampleRepo(dir);
  writeFileSync(join(repo, file), text);
  return repo;
}

async function fails(repo: string, app: App, message: string, env: Record<string, string> = {}, args: string[] = []) {
  const res = await cmp('generate', repo, { ...sidecar, env: { ...sidecar.env, ...env } }, app, args);
  expect(res.code).not.toBe(0);
  expect(res.stdout).toBe('');
  expect(res.stderr).toContain(message);
  expect(res.stderr).not.toContain(CANARY);
  expect(res.stderr).not.toContain('db-pass-7f3a9c');
  return res;
}

const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  value: ${value}\n`;

describe('argocd generate: failing closed', () => {
  it('Vault down: a clear error within the timeout', async () => {
    const res = await fails(exampleRepo(dir), plain, 'vault: http://127.0.0.1:9 is not reachable', {
      VAULT_ADDR: 'http://127.0.0.1:9',
      KEYWARD_TIMEOUT: '2',
    });
    expect(res.ms).toBeLessThan(20_000);
  });

  it('a missing key, next to a canary in the same secret', async () => {
    const repo = repoWith('apps/plain/more.yaml', configMap('<vault:secret/keyward-demo/canary#nope>'));
    await fails(repo, plain, 'no key nope in vault:secret/keyward-demo/canary');
  });

  it('a broken chart: helm fails, and its message is passed on', async () => {
    const repo = repoWith('apps/helm/templates/broken.yaml', 'kind: ConfigMap\ndata: {{ .Values.x | nosuchfunc }}\n');
    await fails(repo, helm, 'argocd: helm failed with exit 1');
  });

  it('helm missing: the tool to install is named', async () => {
    await fails(exampleRepo(dir), helm, 'argocd: /nonexistent/helm is not installed (or set KEYWARD_HELM)', {
      KEYWARD_HELM: '/nonexistent/helm',
    });
  });

  it('a value file outside the repository is refused before helm runs', async () => {
    const repo = exampleRepo(dir);
    const up = relative(join(repo, helm.path), '/etc/passwd');
    const app = { ...helm, parameters: [{ name: 'values-files', array: [up] }] };
    await fails(repo, app, `argocd: value file ${up} lies outside the repository`);
  });

  it('an app that renders to nothing is an error, not an empty output', async () => {
    const repo = exampleRepo(dir);
    for (const file of readdirSync(join(repo, 'apps', 'plain'))) rmSync(join(repo, 'apps', 'plain', file));
    writeFileSync(join(repo, 'apps', 'plain', 'nothing.yaml'), '# all resources are disabled\n---\n');
    await fails(repo, plain, 'argocd: the plain app rendered no manifests; refusing to print nothing');
  });

  it('a secret outside a Secret: a warning without the value, an error with --strict or KEYWARD_STRICT', async () => {
    const repo = repoWith('apps/plain/leaky.yaml', configMap('<vault:secret/keyward-demo/canary#value>'));
    const warned = await cmp('generate', repo, sidecar, plain);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(`value: ${CANARY}`);
    expect(warned.stderr).toContain('keyward: warning: ConfigMap leaky (');
    expect(warned.stderr).toContain('holds secret values in data.value; Argo CD shows it unmasked');
    expect(warned.stderr).not.toContain(CANARY);
    await fails(repo, plain, 'secrets where Argo CD shows them unmasked (strict mode)', {}, ['--strict']);
    await fails(repo, plain, 'ConfigMap leaky (', { KEYWARD_STRICT: 'true' });
  });
});

describe('argocd discover and init', () => {
  it('discover names a file of each example app, and nothing for an app without secrets', async () => {
    const repo = exampleRepo(dir);
    for (const path of ['apps/plain', 'apps/helm', 'apps/kustomize']) {
      const res = await cmp('discover', repo, sidecar, { name: 'x', path });
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/\.ya?ml\n$/);
    }
    mkdirSync(join(repo, 'apps', 'other'));
    writeFileSync(join(repo, 'apps', 'other', 'config.yaml'), 'kind: ConfigMap\ndata:\n  note: "<none>"\n');
    const none = await cmp('discover', repo, sidecar, { name: 'x', path: 'apps/other' });
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('init builds the dependencies a chart lacks, and does nothing once they are there', async () => {
    const repo = exampleRepo(dir);
    const lib = join(repo, 'apps', 'lib');
    writeFileSync(
      join(repo, 'apps', 'helm', 'Chart.yaml'),
      'apiVersion: v2\nname: shop\nversion: 0.3.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n',
    );
    mkdirSync(lib);
    writeFileSync(join(lib, 'Chart.yaml'), 'apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n');
    const first = await cmp('init', repo, sidecar, helm, ['--verbose']);
    expect(first).toMatchObject({ code: 0, stdout: '' });
    expect(first.stderr).toContain('argocd: ran helm dependency build');
    expect(readdirSync(join(repo, 'apps', 'helm', 'charts'))).toEqual(['lib-0.1.0.tgz']);
    const again = await cmp('init', repo, sidecar, helm, ['--verbose']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
  });
});
