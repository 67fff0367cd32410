/**
 * `azure_kv` master keys: the data key (or a Shamir share) is encrypted by an RSA key
 * in Azure Key Vault, as sops does: `POST {vault}/keys/{name}/{version}/encrypt` with
 * RSA-OAEP-256, stored as base64url without padding. A key is the URL
 * `https://<vault>/keys/<name>[/<version>]`; without a version the vault uses the
 * latest one, and the concrete version it names in its reply is stored.
 * Tokens come from Microsoft Entra (entra.ts), only for the resource the vault's host
 * belongs to (`x.vault.azure.net` → https://vault.azure.net, any other host → that host
 * itself), so a file naming a foreign host never receives a Key Vault token requested
 * for it; a given AZURE_ACCESS_TOKEN goes to any vault the allow-list admits (the Argo
 * CD plugin admits only Azure's Key Vault and Managed HSM domains by default). Managed
 * identity and the Azure CLI are not supported: every credential is named in settings, so
 * KEYWARD_AMBIENT_CREDENTIALS changes nothing here.
 * KEYWARD_AZURE_KV_ALLOWLIST limits the vaults keyward contacts: `all` (the default),
 * `none`, or comma-separated https URLs compared as parsed URLs (originAllowed in
 * settings.ts) against `https://<vault>/keys/<name>[/<version>]`, checked before any
 * token request. Whatever the allow-list, vault_url must be a bare https origin (no
 * user, path, query or fragment) and key names and versions only letters, digits and `-`.
 */

import { ConfigError, FormatError } from '../../errors.js';
import { originAllowed } from '../../settings.js';
import type { Context, HttpResponse, KeyFields, KeyType } from '../../types.js';
import { clean, entraToken, reachError } from './entra.js';

export interface AzureRef {
  /** Scheme and host of the vault, e.g. `https://myvault.vault.azure.net`. */
  vaultUrl: string;
  name: string;
  /** Empty until wrap learns the latest version from Key Vault. */
  version: string;
}

const URL_FORM = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/;
/** A bare https origin as text (trailing slashes allowed, as sops writes them): nothing a parser drops or reinterprets. */
const ORIGIN_TEXT = /^https:\/\/[A-Za-z0-9.:_[\]-]+\/*$/i;
const NAME = /^[A-Za-z0-9-]{1,127}$/;
const VERSION = /^[A-Za-z0-9-]{0,127}$/;
const API_VERSION = 'api-version=7.4';

const keyUrl = (ref: AzureRef): string =>
  `${ref.vaultUrl.replace(/\/+$/, '')}/keys/${ref.name}${ref.version ? `/${ref.version}` : ''}`;
const describe = (ref: AzureRef): string => `azure_kv ${keyUrl(ref)}`;

function isOrigin(vaultUrl: string): boolean {
  if (!ORIGIN_TEXT.test(vaultUrl)) return false;
  try {
    const url = new URL(vaultUrl);
    return url.protocol === 'https:' && url.pathname === '/' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/** The key itself, or a ConfigError naming it when a part could steer the request. */
function checked(ref: AzureRef): AzureRef {
  if (!isOrigin(ref.vaultUrl)) {
    const shown = JSON.stringify(ref.vaultUrl.replace(/^([^/]*\/\/)[^/]*@/, '$1…@'));
    throw new ConfigError(`azure_kv: vault URL ${shown} is not https://<vault host> (no user, path or query)`);
  }
  if (!NAME.test(ref.name) || !VERSION.test(ref.version)) {
    throw new ConfigError(
      `azure_kv ${JSON.stringify(keyUrl(ref))}: key names and versions may hold only letters, digits and -`,
    );
  }
  return ref;
}

interface OperationReply {
  kid?: unknown;
  value?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** One key operation; errors name the key and Key Vault's error code and message, never the payload. */
async function operate(ref: AzureRef, op: 'encrypt' | 'decrypt', value: string, ctx: Context): Promise<OperationReply> {
  checked(ref);
  const list = ctx.settings.first('KEYWARD_AZURE_KV_ALLOWLIST') ?? 'all';
  if (!originAllowed(keyUrl(ref), list, 'KEYWARD_AZURE_KV_ALLOWLIST')) {
    throw new ConfigError(`${describe(ref)}: the vault is not in KEYWARD_AZURE_KV_ALLOWLIST`);
  }
  const version = ref.version ? `/${encodeURIComponent(ref.version)}` : '';
  const url = `${ref.vaultUrl.replace(/\/+$/, '')}/keys/${encodeURIComponent(ref.name)}${version}/${op}?${API_VERSION}`;
  const bearer = await entraToken(ref.vaultUrl, describe(ref), ctx);
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ alg: 'RSA-OAEP-256', value }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    throw reachError(describe(ref), 'Key Vault', err);
  }
  let reply: OperationReply = {};
  try {
    reply = (await response.json()) as OperationReply;
  } catch {
    // not JSON: the status says enough
  }
  if (!response.ok) {
    const code = typeof reply.error?.code === 'string' ? ` ${reply.error.code}` : '';
    const message = typeof reply.error?.message === 'string' ? `: ${reply.error.message}` : '';
    throw new ConfigError(
      `${describe(ref)}: Key Vault refused to ${op} (${clean(`HTTP ${response.status}${code}${message}`)})`,
    );
  }
  return reply;
}

function field(fields: KeyFields, ...names: string[]): string {
  for (const name of names) {
    const value = fields[name];
    if (typeof value === 'string' && value !== '') return value.trim();
  }
  return '';
}

export const keyType: KeyType<AzureRef> = {
  id: 'azure_kv',
  hasCreatedAt: true,

  /** Metadata fields (`vault_url`, `name`, `version`) or a `.sops.yaml` entry (`vaultUrl`, `key`, `version`). */
  parseRef(fields: KeyFields): AzureRef {
    const vaultUrl = field(fields, 'vault_url', 'vaultUrl');
    const name = field(fields, 'name', 'key');
    if (vaultUrl === '') throw new FormatError('azure_kv: key entry has no vault_url');
    if (name === '') throw new FormatError('azure_kv: key entry has no name');
    return checked({ vaultUrl, name, version: field(fields, 'version') });
  },

  formatRef: (ref: AzureRef) => ({ vault_url: ref.vaultUrl, name: ref.name, version: ref.version }),

  describe,

  parseFlag(text: string): AzureRef {
    const match = URL_FORM.exec(text.trim());
    if (!match) {
      throw new ConfigError(
        `azure_kv: ${JSON.stringify(text.trim())} is not a Key Vault key URL (https://<vault>/keys/<name>[/<version>])`,
      );
    }
    const [, vaultUrl = '', name = '', version = ''] = match;
    return checked({ vaultUrl, name, version: version.slice(1) });
  },

  async wrap(ref: AzureRef, part: Uint8Array, ctx: Context): Promise<string> {
    const reply = await operate(ref, 'encrypt', Buffer.from(part).toString('base64url'), ctx);
    if (typeof reply.value !== 'string' || reply.value === '') {
      throw new ConfigError(`${describe(ref)}: Key Vault's encrypt reply has no value`);
    }
    if (ref.version === '') {
      let segments: string[] = [];
      try {
        segments = new URL(typeof reply.kid === 'string' ? reply.kid : '').pathname.split('/');
      } catch {
        // no usable kid: reported below
      }
      const version = segments[1] === 'keys' && segments.length === 4 ? (segments[3] ?? '') : '';
      if (version === '' || !VERSION.test(version)) {
        throw new ConfigError(`${describe(ref)}: Key Vault's encrypt reply names no key version`);
      }
      ref.version = version;
    }
    return Buffer.from(reply.value, 'base64url').toString('base64url');
  },

  async unwrap(ref: AzureRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(enc.trim())) throw new FormatError(`${describe(ref)}: enc is not base64url`);
    const reply = await operate(ref, 'decrypt', enc.trim().replace(/=+$/, ''), ctx);
    if (typeof reply.value !== 'string') {
      throw new FormatError(`${describe(ref)}: Key Vault's decrypt reply has no value`);
    }
    return new Uint8Array(Buffer.from(reply.value, 'base64url'));
  },
};
