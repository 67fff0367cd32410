/**
 * What one render of the plugin may do: its settings, its checkout and the check every
 * reference passes before anything is read. Settings are layered, later winning:
 *
 *   1. the operator's (config file < sidecar environment) — or, with tenancy
 *      (KEYWARD_TENANTS), the operator's without identities plus the tenant's own;
 *   2. the Application's allowed plugin env (plugin/settings.ts);
 *   3. what the plugin fixes for every render: `<sops:…>` files relative to the app and
 *      inside the checkout, `<k8s:name>` in the app's destination namespace.
 *
 * Remote SOPS key services receive the sidecar's credentials only at the addresses the
 * operator allows: by default, hc_vault keys only at VAULT_ADDR's origin (none without
 * it) and azure_kv keys only on Azure's Key Vault and Managed HSM domains.
 */

import { readFileSync } from 'node:fs';
import { ConfigError, type ReferenceCheck, type Settings } from '../src/index.js';
import { type Checkout, checkoutOf } from './checkout.js';
import { DEFAULT_ALLOW, referencePolicy } from './policy.js';
import type { PluginLayers } from './settings.js';
import { parseTenants, tenantFor, tenantSettings } from './tenancy.js';

export interface RenderScope {
  settings: Settings;
  checkout: Checkout;
  authorize: ReferenceCheck;
  /** The tenant's name, with tenancy on. */
  tenant: string | undefined;
}

/** Azure's Key Vault and Managed HSM domains in its public and sovereign clouds. */
export const AZURE_KEY_VAULTS = [
  'https://*.vault.azure.net',
  'https://*.managedhsm.azure.net',
  'https://*.vault.azure.cn',
  'https://*.managedhsm.azure.cn',
  'https://*.vault.usgovcloudapi.net',
  'https://*.managedhsm.usgovcloudapi.net',
].join(',');

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The origin of VAULT_ADDR: where the sidecar's Vault token may go for transit keys too. */
function vaultOrigin(s: Settings): string {
  const address = s.first('VAULT_ADDR');
  if (!address) return 'none';
  try {
    const url = new URL(address);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : 'none';
  } catch {
    return 'none';
  }
}

function readTenancy(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`argocd: cannot read the tenancy file ${file} (KEYWARD_TENANTS)`);
  }
}

/** The scope of a render of the app in `dir`. */
export function renderScope(dir: string, layers: PluginLayers): RenderScope {
  const operator = layers.operator;
  const checkout = checkoutOf(dir, operator);
  const project = operator.first('ARGOCD_APP_PROJECT_NAME');
  const namespace = operator.first('ARGOCD_APP_NAMESPACE');
  if (namespace !== undefined && !NAMESPACE.test(namespace))
    throw new ConfigError(`argocd: ARGOCD_APP_NAMESPACE ${JSON.stringify(namespace)} is not a namespace name`);
  const file = operator.first('KEYWARD_TENANTS');
  const tenant = file ? tenantFor(parseTenants(readTenancy(file), file), project, file) : undefined;
  const base = tenant ? tenantSettings(operator, tenant) : operator;
  const allow = tenant ? tenant.allow : (operator.list('KEYWARD_ALLOW') ?? DEFAULT_ALLOW);
  const chosen = base.with(layers.app);
  const settings = chosen.with([
    ['SOPS_HC_VAULT_ALLOWLIST', chosen.first('SOPS_HC_VAULT_ALLOWLIST') ?? vaultOrigin(chosen)],
    ['KEYWARD_AZURE_KV_ALLOWLIST', chosen.first('KEYWARD_AZURE_KV_ALLOWLIST') ?? AZURE_KEY_VAULTS],
    ['KEYWARD_SOPS_BASE_DIR', checkout.dir],
    ['KEYWARD_SOPS_ROOT', checkout.root],
    ['KEYWARD_K8S_NAMESPACE', namespace ?? ''],
    ['KEYWARD_TENANT', tenant?.name ?? ''],
  ]);
  const owner = tenant ? `tenant ${tenant.name}` : 'this app (KEYWARD_ALLOW)';
  const authorize = referencePolicy(allow, { namespace, project, root: checkout.root, dir: checkout.dir, owner });
  return { settings, checkout, authorize, tenant: tenant?.name };
}
