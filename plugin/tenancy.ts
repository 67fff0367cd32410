/**
 * Tenancy: many teams on one Argo CD. The operator's file named by KEYWARD_TENANTS
 * (an operator-only setting) maps Argo CD projects to tenants:
 *
 *   tenants:
 *     team-a:
 *       projects: [team-a, "team-a-*"]     # ARGOCD_APP_PROJECT_NAME, set by Argo CD
 *       settings: { VAULT_ROLE: argocd-team-a, SOPS_AGE_KEY_FILE: /etc/keyward/age/team-a.txt }
 *       allow: ["vault:secret/data/team-a/*", "k8s:{namespace}/*", "sops:*"]
 *
 * An app's project must match exactly one tenant, else its render fails naming the
 * project. The tenant's renders run with the operator's settings minus every
 * identity (IDENTITY_SETTINGS: Vault roles and secrets, SOPS keys, cloud
 * credentials), plus the tenant's own settings, and with no ambient credentials (the
 * sidecar's own ~/.vault-token, default age and SSH keys, cloud metadata servers), so
 * a tenant logs in as itself and decrypts only with its own keys. Its `allow` list
 * bounds what its references may read (plugin/policy.ts).
 */

import { parse } from 'yaml';
import { ConfigError, Settings } from '../src/index.js';

export interface Tenant {
  name: string;
  projects: string[];
  settings: [string, string][];
  allow: string[];
}

/**
 * Settings that say who logs in or hold a key: never inherited from the operator's
 * settings by a tenant. The way to log in (KEYWARD_VAULT_AUTH, the auth mount, the
 * sidecar's service-account token file) is shared; the role and secrets are each tenant's.
 */
const IDENTITY_SETTINGS = [
  'VAULT_TOKEN',
  'VAULT_ROLE',
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
  'VAULT_USERNAME',
  'VAULT_PASSWORD',
  'VAULT_CLIENT_CERT',
  'VAULT_CLIENT_KEY',
  'KEYWARD_VAULT_ROLE',
  'KEYWARD_VAULT_JWT',
  'KEYWARD_MEMORY_SECRETS',
  'AVP_ROLE_ID',
  'AVP_SECRET_ID',
  'AVP_USERNAME',
  'AVP_PASSWORD',
  'AVP_K8S_ROLE',
  'SOPS_AGE_*',
  'GNUPGHOME',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AZURE_*',
  'GOOGLE_*',
  'CLOUDSDK_CONFIG',
  'KEYWARD_AMBIENT_CREDENTIALS',
];

export const isIdentitySetting = (name: string): boolean =>
  IDENTITY_SETTINGS.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new ConfigError(`argocd: ${where} must be a list of strings`);
  return value as string[];
}

function tenantOf(name: string, entry: unknown, file: string): Tenant {
  const where = `${file}: tenant ${name}`;
  if (!NAME.test(name))
    throw new ConfigError(`argocd: ${file}: tenant name ${JSON.stringify(name)} is not a DNS label`);
  if (!isMap(entry)) throw new ConfigError(`argocd: ${where} is not a map`);
  const unknown = Object.keys(entry).filter((k) => !['projects', 'settings', 'allow'].includes(k));
  if (unknown.length > 0) throw new ConfigError(`argocd: ${where} has unknown fields ${unknown.join(', ')}`);
  const projects = strings(entry.projects, `${where}: projects`);
  if (projects.length === 0) throw new ConfigError(`argocd: ${where} names no projects`);
  const settings = entry.settings ?? {};
  if (!isMap(settings)) throw new ConfigError(`argocd: ${where}: settings must be a map of NAME: value`);
  const pairs = Object.entries(settings).map(([key, value]): [string, string] => {
    // the values may be secrets: a message names the setting, never its value
    if (value === null || typeof value === 'object')
      throw new ConfigError(`argocd: ${where}: setting ${key} must be a string, number or boolean`);
    if (key === 'KEYWARD_TENANTS') throw new ConfigError(`argocd: ${where}: KEYWARD_TENANTS is not a tenant setting`);
    return [key, String(value)];
  });
  return { name, projects, settings: pairs, allow: strings(entry.allow ?? [], `${where}: allow`) };
}

/** Parses and checks a tenancy file; errors name the file and the field, never a value. */
export function parseTenants(text: string, file: string): Tenant[] {
  let data: unknown;
  try {
    data = parse(text, { logLevel: 'error' });
  } catch {
    throw new ConfigError(`argocd: the tenancy file ${file} is not YAML`);
  }
  if (!isMap(data) || !isMap(data.tenants))
    throw new ConfigError(`argocd: the tenancy file ${file} has no map of tenants`);
  return Object.entries(data.tenants).map(([name, entry]) => tenantOf(name, entry, file));
}

/** `team-a` matches itself; `team-a-*` any project starting with `team-a-`. */
const projectMatches = (project: string, pattern: string): boolean =>
  pattern.endsWith('*') ? project.startsWith(pattern.slice(0, -1)) : project === pattern;

/** The one tenant whose projects match `project`; fails closed when none or several do. */
export function tenantFor(tenants: readonly Tenant[], project: string | undefined, file: string): Tenant {
  if (!project) throw new ConfigError('argocd: the app has no project (ARGOCD_APP_PROJECT_NAME), and tenancy is on');
  const found = tenants.filter((t) => t.projects.some((p) => projectMatches(project, p)));
  if (found.length === 0) throw new ConfigError(`argocd: project ${project} belongs to no tenant in ${file}`);
  if (found.length > 1) {
    throw new ConfigError(
      `argocd: project ${project} matches several tenants in ${file} (${found.map((t) => t.name).join(', ')})`,
    );
  }
  return found[0] as Tenant;
}

/** The settings of a tenant's render: the operator's without identities, then the tenant's own. */
export function tenantSettings(operator: Settings, tenant: Tenant): Settings {
  const shared = operator.names().filter((name) => !isIdentitySetting(name));
  const base: [string, string][] = shared.map((name) => [name, operator.get(name) ?? '']);
  return new Settings([
    ...base,
    ['KEYWARD_AMBIENT_CREDENTIALS', 'off'],
    ...tenant.settings,
    ['KEYWARD_TENANT', tenant.name],
  ]);
}
