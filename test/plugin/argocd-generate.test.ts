/**
 * `keyward argocd generate` end to end, run exactly as Argo CD's cmp-server runs the
 * plugin (working directory = the app's folder, the ARGOCD_* environment, no stdin)
 * on the three example apps in examples/argocd/apps against the rig's Vault with an
 * approle login: plain manifests with a SOPS-encrypted Secret, a Helm chart (value
 * files from the parameters, the Kubernetes version passed on), and a Kustomize app
 * with a secretGenerator. Each must equal its golden output. Then where settings come
 * from: a config file < the container env < ARGOCD_ENV_*, AVP's names included.
 */

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type App, cmp, DEMO_SECRETS, demoVault, exampleRepo, type Sidecar } from '../helpers/argocd.js';
import { REPO, tempDir } from '../helpers/proc.js';
import { vaultAdmin } from '../helpers/vault.js';

const dir = tempDir();
const goldenFile = (name: string) => join(REPO, 'test', 'fixtures', 'argocd', `${name}.out.yaml`);
const golden = (name: string) => readFileSync(goldenFile(name), 'utf8');
let sidecar: Sidecar;
let repo = '';

const APPS: Record<string, App> = {
  plain: { name: 'shop-plain', path: 'apps/plain' },
  helm: {
    name: 'shop-helm',
    path: 'apps/helm',
    parameters: [
      { name: 'values-files', array: ['values-prod.yaml'] },
      { name: 'helm-parameters', map: { image: 'ghcr.io/example/shop:1.4.3' } },
    ],
  },
  kustomize: { name: 'shop-kustomize', path: 'apps/kustomize' },
};

beforeAll(async () => {
  sidecar = await demoVault();
  repo = exampleRepo(dir);
});

describe('argocd generate: the example apps, as cmp-server runs them', () => {
  it.each(Object.keys(APPS))('%s', async (name) => {
    const app = APPS[name] as App;
    const res = await cmp('generate', repo, sidecar, app);
    // KEYWARD_UPDATE_GOLDEN=1 rewrites the golden files from this run (review the diff)
    if (process.env.KEYWARD_UPDATE_GOLDEN === '1' && res.code === 0) writeFileSync(goldenFile(name), res.stdout);
    expect(res.stderr).toBe('');
    expect(res).toMatchObject({ code: 0, stdout: golden(name) });
  });

  it('the Helm chart gets the release name, namespace and Kubernetes version of the app', async () => {
    const res = await cmp('generate', repo, sidecar, APPS.helm as App);
    expect(res.stdout).toContain('name: shop-helm-db\n  namespace: shop\n');
    expect(res.stdout).toContain('kube-version: "v1.31.4"');
    expect(res.stdout).toContain('replicas: 4');
    expect(res.stdout).toContain('image: ghcr.io/example/shop:1.4.3');
  });

  it('inline values (the values parameter, or HELM_VALUES as AVP documents it) come after the value files', async () => {
    const values = 'replicas: 3\napi:\n  token: <vault:secret/keyward-demo/db#username>\n';
    const params = [...((APPS.helm as App).parameters ?? []), { name: 'values', string: values }];
    const viaParameter = await cmp('generate', repo, sidecar, { ...(APPS.helm as App), parameters: params });
    expect(viaParameter).toMatchObject({ code: 0, stderr: '' });
    expect(viaParameter.stdout).toContain('replicas: 3');
    expect(viaParameter.stdout).toContain('api-token: "shop"');
    const viaEnv = await cmp('generate', repo, sidecar, { ...(APPS.helm as App), pluginEnv: { HELM_VALUES: values } });
    expect(viaEnv.stdout).toContain('replicas: 3');
  });
});

describe('argocd generate: the template cache', () => {
  it('a refresh of the same revision skips helm and kustomize, and still reads the secrets fresh', async () => {
    const cacheDir = join(dir, 'templates');
    const cached: Sidecar = { ...sidecar, env: { ...sidecar.env, KEYWARD_TEMPLATE_CACHE: cacheDir } };
    for (const app of [APPS.helm, APPS.kustomize] as App[]) {
      const first = await cmp('generate', repo, cached, app, ['--verbose']);
      expect(first.stderr).not.toContain('from the template cache');
      const again = await cmp('generate', repo, cached, app, ['--verbose']);
      expect(again.stderr).toContain('output from the template cache');
      expect(again.stdout).toBe(first.stdout);
    }
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(2);
    expect(files.map((f) => readFileSync(join(cacheDir, f), 'utf8')).join('')).toContain(
      'api-token: "<vault:secret/keyward-demo/api#token>"',
    );
    for (const file of files) {
      expect(statSync(join(cacheDir, file)).mode & 0o777).toBe(0o600);
      // output from before resolution: placeholders (base64 in the secretGenerator's data), no values
      const text = readFileSync(join(cacheDir, file), 'utf8');
      expect(text).not.toContain(DEMO_SECRETS.db.password);
      expect(text).not.toContain(Buffer.from(DEMO_SECRETS.db.password).toString('base64'));
    }
    // a rotated secret reaches the output; another revision renders again
    await vaultAdmin('secret/data/keyward-demo/api', { data: { token: 'rotated-token-99' } });
    try {
      const rotated = await cmp('generate', repo, cached, APPS.helm as App, ['--verbose']);
      expect(rotated.stderr).toContain('helm output from the template cache');
      expect(rotated.stdout).toContain('api-token: "rotated-token-99"');
    } finally {
      await vaultAdmin('secret/data/keyward-demo/api', { data: DEMO_SECRETS.api });
    }
    const nextRevision = { ...(APPS.helm as App), revision: '0123456789abcdef0123456789abcdef01234567' };
    const next = await cmp('generate', repo, cached, nextRevision, ['--verbose']);
    expect(next.stderr).not.toContain('from the template cache');
    expect(readdirSync(cacheDir)).toHaveLength(3);
  });
});

describe('argocd generate: settings', () => {
  const withEnv = (env: Record<string, string>): Sidecar => ({ ...sidecar, env: { ...sidecar.env, ...env } });

  it('ARGOCD_ENV_<NAME> (the Application) wins over the container env, which wins over the config file', async () => {
    const repoLeaky = exampleRepo(dir);
    writeFileSync(
      join(repoLeaky, 'apps', 'plain', 'leaky.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  user: <vault:secret/keyward-demo/db#username>\n',
    );
    const config = join(dir, 'keyward.yaml');
    writeFileSync(config, 'KEYWARD_STRICT: "true"\n');
    const app = APPS.plain as App;
    const fromFile = await cmp('generate', repoLeaky, withEnv({ KEYWARD_CONFIG_FILE: config }), app);
    expect(fromFile).toMatchObject({ code: 1, stdout: '' });
    expect(fromFile.stderr).toContain('(strict mode)');
    const envWins = withEnv({ KEYWARD_CONFIG_FILE: config, KEYWARD_STRICT: 'false' });
    const fromEnv = await cmp('generate', repoLeaky, envWins, app);
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toContain('keyward: warning: ConfigMap leaky');
    const fromApp = await cmp('generate', repoLeaky, envWins, { ...app, pluginEnv: { KEYWARD_STRICT: 'true' } });
    expect(fromApp).toMatchObject({ code: 1, stdout: '' });
  });

  it("an Application cannot redirect the sidecar's credentials: VAULT_ADDR is the operator's unless allowed", async () => {
    const app = { ...(APPS.plain as App), pluginEnv: { VAULT_ADDR: 'http://127.0.0.1:9', SOPS_AGE_KEY_FILE: '/x' } };
    const refused = await cmp('generate', repo, sidecar, app);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toBe(
      'keyward: argocd: the Application sets VAULT_ADDR, SOPS_AGE_KEY_FILE, which an Application may not set ' +
        '(it may set AVP_TYPE, AVP_KV_VERSION, KEYWARD_VAULT_KV_VERSION, KEYWARD_SOURCE_TYPE, HELM_VALUES, KEYWARD_STRICT; ' +
        'the operator may allow more with KEYWARD_PLUGIN_ENV_ALLOW)\n',
    );
    const allowing = withEnv({ KEYWARD_PLUGIN_ENV_ALLOW: 'VAULT_ADDR,SOPS_*' });
    const ownVault = { ...app, pluginEnv: { VAULT_ADDR: sidecar.env.VAULT_ADDR ?? '' } };
    expect(await cmp('generate', repo, allowing, ownVault)).toMatchObject({ code: 0, stdout: golden('plain') });
  });

  it('an AVP user switches by changing only the plugin name: <path:…> placeholders and AVP_* settings', async () => {
    const own = exampleRepo(dir);
    writeFileSync(
      join(own, 'apps', 'plain', 'avp-secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: avp\n  annotations:\n    avp.kubernetes.io/path: secret/data/keyward-demo/db\nstringData:\n  user: <username>\n  pass: <path:secret/data/keyward-demo/db#password>\n',
    );
    const res = await cmp('generate', own, sidecar, APPS.plain as App);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain('  user: shop\n  pass: db-pass-7f3a9c\n');
  });
});
