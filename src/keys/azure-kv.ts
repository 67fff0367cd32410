/**
 * `azure_kv` master keys: the data key (or a Shamir share) is encrypted by an RSA key
 * in Azure Key Vault, as sops does: `POST {vault}/keys/{name}/{version}/encrypt` with
 * RSA-OAEP-256, stored as base64url without padding. A key is the URL
 * `https://<vault>/keys/<name>[/<version>]`; without a version the vault uses the
 * latest one, and the concrete version it names in its reply is stored.
 * Credentials, the first one set wins: AZURE_ACCESS_TOKEN (a Key Vault token obtained
 * elsewhere, used as is); AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (a
 * service principal); AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE
 * (workload identity). Tokens come from AZURE_AUTHORITY_HOST (default
 * https://login.microsoftonline.com) and are cached in-process per authority, tenant,
 * client, scope and a sha256 of the secret or federated token, so a context with other
 * credentials never gets them. Managed identity and the Azure CLI are not supported:
 * every credential is named in settings, so KEYWARD_AMBIENT_CREDENTIALS changes nothing
 * here. A token is only ever requested for the resource the vault's host belongs to
 * (`x.vault.azure.net` → https://vault.azure.net, any other host → that host itself),
 * so a file naming a foreign host never receives a Key Vault token.
 * KEYWARD_AZURE_KV_ALLOWLIST limits the vaults keyward contacts: `all` (the default),
 * `none`, or comma-separated https URLs compared as parsed URLs (originAllowed in
 * settings.ts) against `https://<vault>/keys/<name>[/<version>]`, checked before any
 * token request. Whatever the allow-list, vault_url must be a bare https origin (no
 * user, path, query or fragment) and key names and versions only letters, digits and `-`.
 */

import { createHash } from 'node:crypto';
import { ConfigError, FormatError } from '../errors.js';
import { originAllowed } from '../settings.js';
import type { Context, HttpResponse, KeyFields, KeyType } from '../types.js';

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
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const keyUrl = (ref: AzureRef): string =>
  `${ref.vaultUrl.replace(/\/+$/, '')}/keys/${ref.name}${ref.version ? `/${ref.version}` : ''}`;
const describe = (ref: AzureRef): string => `azure_kv ${keyUrl(ref)}`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

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

/** Text a server sent back, shortened, with anything that looks like a payload or token cut out. */
const clean = (text: string): string => text.replace(/[A-Za-z0-9+/=_.-]{40,}/g, '…').slice(0, 200);

function reachError(ref: AzureRef, service: string, err: unknown): ConfigError {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const reason = err instanceof Error ? `${err.message}${cause}` : 'error';
  return new ConfigError(`${describe(ref)}: ${service} is not reachable (${clean(reason)})`);
}

/** The token scope of the vault's resource: its Key Vault or Managed HSM cloud, else the host itself. */
function scopeOf(vaultUrl: string): string {
  const url = new URL(vaultUrl);
  const cloud = /\.((?:vault|managedhsm)\.[a-z0-9.-]+)$/i.exec(url.hostname)?.[1];
  return `${cloud ? `https://${cloud.toLowerCase()}` : url.origin}/.default`;
}

interface Token {
  value: string;
  /** Milliseconds since the epoch after which the token is not used any more. */
  until: number;
}

const tokens = new Map<string, Promise<Token>>();

async function requestToken(ref: AzureRef, url: string, form: URLSearchParams, ctx: Context): Promise<Token> {
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    throw reachError(ref, 'Microsoft Entra', err);
  }
  let reply: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    reply = (await response.json()) as typeof reply;
  } catch {
    // not JSON: the status says enough
  }
  if (!response.ok || typeof reply.access_token !== 'string') {
    const code = typeof reply.error === 'string' ? reply.error : `HTTP ${response.status}`;
    const text = typeof reply.error_description === 'string' ? `: ${reply.error_description.split('\n')[0]}` : '';
    throw new ConfigError(`${describe(ref)}: Microsoft Entra refused a token (${clean(`${code}${text}`)})`);
  }
  const seconds = Number(reply.expires_in) || 300;
  return { value: reply.access_token, until: ctx.now().getTime() + Math.max(seconds - 120, 30) * 1000 };
}

/** A bearer token for the vault from the environment's credentials, cached per authority, tenant, client and scope. */
async function token(ref: AzureRef, ctx: Context): Promise<string> {
  const s = ctx.settings;
  const given = s.first('AZURE_ACCESS_TOKEN');
  if (given) return given.trim();
  const tenant = s.first('AZURE_TENANT_ID');
  const client = s.first('AZURE_CLIENT_ID');
  const secret = s.first('AZURE_CLIENT_SECRET');
  const federated = s.first('AZURE_FEDERATED_TOKEN_FILE');
  if (!tenant || !client || (!secret && !federated)) {
    throw new ConfigError(
      `${describe(ref)}: no Azure credentials (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, ` +
        'or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, or AZURE_ACCESS_TOKEN; ' +
        'managed identity and the Azure CLI are not supported)',
    );
  }
  if (!/^[A-Za-z0-9.-]+$/.test(tenant)) throw new ConfigError(`${describe(ref)}: AZURE_TENANT_ID is not a tenant id`);
  const authority = (s.first('AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  if (!/^https:\/\/[^/]+(\/.*)?$/.test(authority)) {
    throw new ConfigError(`${describe(ref)}: AZURE_AUTHORITY_HOST must be an https URL`);
  }
  const scope = scopeOf(ref.vaultUrl);
  // the federated token is read afresh (it is rotated); the credential is part of the cache key
  const proof = secret ?? (await assertion(ref, federated ?? '', ctx));
  const kind = secret ? 'secret' : 'federated';
  const key = sha256(JSON.stringify([authority, tenant, client, scope, kind, sha256(proof)]));
  const cached = tokens.get(key);
  const hit = cached && (await cached.catch(() => undefined));
  if (hit && hit.until > ctx.now().getTime()) return hit.value;
  // stored with no await after the lookup, so concurrent wraps share one token request
  const grant: Record<string, string> = secret
    ? { client_secret: proof }
    : { client_assertion_type: JWT_BEARER, client_assertion: proof };
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client, scope, ...grant });
  const pending = requestToken(ref, `${authority}/${tenant}/oauth2/v2.0/token`, form, ctx);
  tokens.set(key, pending);
  return (await pending).value;
}

/** The federated token (e.g. a Kubernetes service account token), read afresh: it is rotated. */
async function assertion(ref: AzureRef, file: string, ctx: Context): Promise<string> {
  let text = '';
  try {
    text = new TextDecoder().decode(await ctx.readFile(file)).trim();
  } catch {
    // reported below
  }
  if (text === '') throw new ConfigError(`${describe(ref)}: cannot read AZURE_FEDERATED_TOKEN_FILE`);
  return text;
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
  const bearer = await token(ref, ctx);
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ alg: 'RSA-OAEP-256', value }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    throw reachError(ref, 'Key Vault', err);
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
