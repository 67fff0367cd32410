/**
 * The two-tenant example in examples/argocd/tenants holds together: the tenancy file
 * parses with the plugin's own parser, every example Application's project belongs to
 * one tenant, each tenant's allow-list admits its own Vault secrets and refuses the
 * other's, the sidecar patch mounts the file where KEYWARD_TENANTS points, and
 * vault-setup.sh, run by the real `vault` CLI against the rig's Vault, makes policies
 * under which each team reads its own secrets and Vault refuses the other team's. And
 * a tenant's settings: the sidecar's without any identity, then the tenant's own.
 */

import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { referencePolicy } from '../../plugin/policy.js';
import { parseTenants, type Tenant, tenantFor, tenantSettings } from '../../plugin/tenancy.js';
import { Settings } from '../../src/index.js';
import { REPO, run, tempDir } from '../helpers/proc.js';
import { tokenWith, vaultAddr, vaultAdmin } from '../helpers/vault.js';
import { ENV, rigEnv, toolPath } from '../rig/paths.js';

const EXAMPLE = join(REPO, 'examples/argocd/tenants');
const read = (name: string) => readFileSync(join(EXAMPLE, name), 'utf8');
const tenants = parseTenants(read('tenants.yaml'), 'tenants.yaml');
const byName = (name: string): Tenant => {
  const found = tenants.find((t) => t.name === name);
  if (!found) throw new Error(`no tenant ${name}`);
  return found;
};

const check = (tenant: Tenant, namespace: string) =>
  referencePolicy(tenant.allow, { namespace, project: tenant.name, root: '/r', dir: '/r/app', owner: tenant.name });

describe('examples/argocd/tenants', () => {
  it("maps each example Application's project to its team's tenant", () => {
    expect(tenants.map((t) => t.name)).toEqual(['team-a', 'team-b']);
    const apps = parseAllDocuments(read('applications.yaml')).map((d) => d.toJS());
    expect(apps).toHaveLength(2);
    for (const app of apps) {
      expect(app.spec.source.plugin.name).toBe('keyward');
      expect(tenantFor(tenants, app.spec.project, 'tenants.yaml').name).toBe(app.spec.project);
    }
    expect(tenantFor(tenants, 'team-a-staging', 'tenants.yaml').name).toBe('team-a');
    expect(() => tenantFor(tenants, 'team-c', 'tenants.yaml')).toThrow(/team-c/);
    const projects = parseAllDocuments(read('projects.yaml')).map((d) => d.toJS().metadata.name);
    expect(projects).toEqual(['team-a', 'team-b']);
  });

  it("lets each tenant read its own secrets and refuses the other's before any read", () => {
    const a = check(byName('team-a'), 'team-a');
    const b = check(byName('team-b'), 'team-b');
    expect(a({ scheme: 'vault', path: 'secret/team-a/db' })).toBeUndefined();
    expect(a({ scheme: 'k8s', path: 'db' })).toBeUndefined();
    expect(a({ scheme: 'vault', path: 'secret/team-b/db' })).toContain('not allowed for team-a');
    expect(a({ scheme: 'vault', path: 'secret/shared/registry' })).toContain('not allowed for team-a');
    expect(a({ scheme: 'k8s', path: 'team-b/db' })).toContain('not allowed for team-a');
    expect(b({ scheme: 'vault', path: 'secret/shared/registry' })).toBeUndefined();
    expect(b({ scheme: 'vault', path: 'secret/team-a/db' })).toContain('not allowed for team-b');
    expect(b({ scheme: 'k8s', path: 'db' })).toContain('not allowed for team-b');
    for (const t of tenants) expect(Object.fromEntries(t.settings).VAULT_ROLE).toBe(`argocd-${t.name}`);
  });

  it('mounts the tenancy file where KEYWARD_TENANTS names it, and the per-team age keys', () => {
    const kustomization = parse(read('kustomization.yaml'));
    expect(kustomization.resources).toEqual(['../install', 'projects.yaml']);
    expect(kustomization.secretGenerator[0]).toMatchObject({ name: 'keyward-tenants', files: ['tenants.yaml'] });
    const container = parse(read('repo-server-patch.yaml')).spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const mounts = Object.fromEntries(
      container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
    );
    expect(env.KEYWARD_TENANTS).toBe(`${mounts['keyward-tenants']}/tenants.yaml`);
    for (const t of tenants)
      expect(Object.fromEntries(t.settings).SOPS_AGE_KEY_FILE).toBe(`${mounts['keyward-tenant-keys']}/${t.name}.txt`);
  });

  it("vault-setup.sh gives each team a Vault policy that reads its own secrets and not the other's", async () => {
    const auths = await vaultAdmin('sys/auth');
    if (!('kubernetes/' in auths)) await vaultAdmin('sys/auth/kubernetes', { type: 'kubernetes' });
    const bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    symlinkSync(toolPath('rig-vault'), join(bin, 'vault'));
    const res = await run('bash', [join(EXAMPLE, 'vault-setup.sh')], {
      clean: true,
      env: { PATH: `${bin}:${process.env.PATH}`, VAULT_ADDR: vaultAddr(), VAULT_TOKEN: rigEnv(ENV.vaultToken) },
    });
    expect(res.code, res.stderr).toBe(0);
    const role = await vaultAdmin('auth/kubernetes/role/argocd-team-a');
    expect(role.data).toMatchObject({ token_policies: ['argocd-team-a'], audience: 'vault' });
    const readAs = async (token: string, path: string) =>
      (await fetch(`${vaultAddr()}/v1/secret/data/${path}`, { headers: { 'X-Vault-Token': token } })).status;
    const a = await tokenWith(['argocd-team-a']);
    const b = await tokenWith(['argocd-team-b']);
    expect(await readAs(a, 'team-a/db')).toBe(200);
    expect(await readAs(a, 'team-b/db')).toBe(403);
    expect(await readAs(a, 'shared/registry')).toBe(403);
    expect(await readAs(b, 'team-b/db')).toBe(200);
    expect(await readAs(b, 'shared/registry')).toBe(200);
    expect(await readAs(b, 'team-a/db')).toBe(403);
  });
});

describe("a tenant's settings", () => {
  it("hold none of the sidecar's identities, only the tenant's own and the shared way to log in", () => {
    const identities = [
      'VAULT_TOKEN',
      'VAULT_ROLE',
      'VAULT_ROLE_ID',
      'VAULT_SECRET_ID',
      'VAULT_PASSWORD',
      'AVP_ROLE_ID',
      'AVP_SECRET_ID',
      'AVP_K8S_ROLE',
      'KEYWARD_VAULT_JWT',
      'KEYWARD_MEMORY_SECRETS',
      'SOPS_AGE_KEY',
      'SOPS_AGE_KEY_FILE',
      'SOPS_AGE_SSH_PRIVATE_KEY_CMD',
      'GNUPGHOME',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_PROFILE',
      'AZURE_ACCESS_TOKEN',
      'GOOGLE_CREDENTIALS',
      'CLOUDSDK_CONFIG',
    ];
    const shared = { VAULT_ADDR: 'http://vault:8200', KEYWARD_VAULT_AUTH: 'kubernetes', KEYWARD_ALLOW: 'vault:*' };
    const operator = Settings.fromRecord({
      ...Object.fromEntries(identities.map((name) => [name, 'sidecar'])),
      ...shared,
      KEYWARD_AMBIENT_CREDENTIALS: 'on',
    });
    const s = tenantSettings(operator, byName('team-a'));
    for (const name of identities.filter((n) => !['VAULT_ROLE', 'SOPS_AGE_KEY_FILE'].includes(n)))
      expect(s.first(name), name).toBeUndefined();
    expect(s.first('VAULT_ROLE')).toBe('argocd-team-a');
    expect(s.first('SOPS_AGE_KEY_FILE')).toBe('/etc/keyward/age/team-a.txt');
    for (const [name, value] of Object.entries(shared)) expect(s.first(name)).toBe(value);
    expect(s.first('KEYWARD_AMBIENT_CREDENTIALS')).toBe('off');
    expect(s.first('KEYWARD_TENANT')).toBe('team-a');
  });
});
