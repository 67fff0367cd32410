/**
 * `hc_vault` master keys: the data key (or a Shamir share) is encrypted by a
 * HashiCorp Vault or OpenBao transit engine, as sops does. A key is the URI
 * `https://host:port/v1/<engine path>/keys/<key name>`; the token comes from
 * VAULT_TOKEN, else `~/.vault-token` (not when KEYWARD_AMBIENT_CREDENTIALS is off).
 * SOPS_HC_VAULT_ALLOWLIST limits the servers keyward sends the token to: `all` (the
 * default), `none`, or comma-separated http(s) URLs compared as parsed URLs (scheme,
 * host, port; `*.` subdomain wildcards; an entry path matches the key URI's path at a
 * segment boundary), see originAllowed in settings.ts. Whatever the allow-list, a file
 * is untrusted input: its vault_address must be a bare http(s) origin (no user, path,
 * query or fragment) and engine_path segments and key_name only letters, digits, `_`,
 * `-` and `.` (never `.` or `..`), so no key can steer the request elsewhere. Every
 * check runs before any request.
 */

import { ConfigError, FormatError } from '../errors.js';
import { ambientCredentials, originAllowed } from '../settings.js';
import type { Context, HttpResponse, KeyFields, KeyType } from '../types.js';

export interface VaultRef {
  /** Scheme, host and port, e.g. `https://vault.example.com:8200`. */
  address: string;
  /** Segments between `v1` and `keys` (may contain `/`), e.g. `transit` or `team/transit`. */
  enginePath: string;
  keyName: string;
}

const URI = /^(https?:\/\/[^/]+)\/v1\/(.+)\/keys\/([^/]+)$/;

function field(fields: KeyFields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value === '') throw new FormatError(`hc_vault: key entry has no ${name}`);
  return value;
}

const origin = (ref: VaultRef): string => ref.address.replace(/\/$/, '');
const uriOf = (ref: VaultRef): string => `${origin(ref)}/v1/${ref.enginePath}/keys/${ref.keyName}`;

/** A bare origin as text: a parser would drop or reinterpret nothing in it. */
const ORIGIN_TEXT = /^https?:\/\/[A-Za-z0-9.:_[\]-]+\/?$/i;
const NAME = /^[A-Za-z0-9_.-]+$/;
const plainName = (name: string): boolean => NAME.test(name) && name !== '.' && name !== '..';

function isOrigin(address: string): boolean {
  if (!ORIGIN_TEXT.test(address)) return false;
  try {
    const url = new URL(address);
    const bare = url.username === '' && url.password === '' && url.search === '' && url.hash === '';
    return bare && url.pathname === '/' && (url.protocol === 'https:' || url.protocol === 'http:');
  } catch {
    return false;
  }
}

/** The key as untrusted text for a message: quoted, any userinfo cut out. */
const shown = (ref: VaultRef): string =>
  JSON.stringify(`${ref.address}/v1/${ref.enginePath}/keys/${ref.keyName}`.replace(/^([^/]*\/\/)[^/]*@/, '$1…@'));

/** The key itself, or a ConfigError naming it when a part could steer the request. */
function checked(ref: VaultRef): VaultRef {
  if (!isOrigin(ref.address)) {
    throw new ConfigError(`hc_vault ${shown(ref)}: vault_address must be http(s)://host[:port] and nothing else`);
  }
  if (!ref.enginePath.split('/').every(plainName) || !plainName(ref.keyName)) {
    throw new ConfigError(
      `hc_vault ${shown(ref)}: engine_path segments and key_name may hold only letters, digits, _, - and . (not . or ..)`,
    );
  }
  return ref;
}

async function token(ref: VaultRef, ctx: Context): Promise<string> {
  const fromEnv = ctx.settings.first('VAULT_TOKEN');
  if (fromEnv) return fromEnv.trim();
  if (!ambientCredentials(ctx.settings)) {
    throw new ConfigError(
      `hc_vault ${uriOf(ref)}: no Vault token (set VAULT_TOKEN; ~/.vault-token is not read while KEYWARD_AMBIENT_CREDENTIALS is off)`,
    );
  }
  const home = ctx.settings.first('HOME');
  if (home) {
    try {
      const text = new TextDecoder().decode(await ctx.readFile(`${home}/.vault-token`)).trim();
      if (text !== '') return text;
    } catch {
      // no token file
    }
  }
  throw new ConfigError(`hc_vault ${uriOf(ref)}: no Vault token (set VAULT_TOKEN or write ~/.vault-token)`);
}

/** Whether SOPS_HC_VAULT_ALLOWLIST lets keyward talk to this server about this key. */
function allowed(ref: VaultRef, ctx: Context): boolean {
  const list = ctx.settings.first('SOPS_HC_VAULT_ALLOWLIST') ?? 'all';
  return originAllowed(uriOf(ref), list, 'SOPS_HC_VAULT_ALLOWLIST');
}

interface TransitReply {
  data?: { ciphertext?: unknown; plaintext?: unknown };
  errors?: unknown;
}

/** POSTs to the transit engine; errors name the key and Vault's status, never the payload. */
async function transit(ref: VaultRef, op: 'encrypt' | 'decrypt', body: object, ctx: Context): Promise<TransitReply> {
  const where = `hc_vault ${uriOf(checked(ref))}`;
  if (!allowed(ref, ctx)) throw new ConfigError(`${where}: the server is not in SOPS_HC_VAULT_ALLOWLIST`);
  const url = `${origin(ref)}/v1/${ref.enginePath}/${op}/${ref.keyName}`;
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'X-Vault-Token': await token(ref, ctx), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${where}: Vault is not reachable (${err instanceof Error ? err.message : 'error'})`);
  }
  let reply: TransitReply = {};
  try {
    reply = (await response.json()) as TransitReply;
  } catch {
    // a reply that is not JSON: the status says enough
  }
  if (!response.ok) {
    const errors = Array.isArray(reply.errors) ? reply.errors.filter((e) => typeof e === 'string') : [];
    const reason = errors.length > 0 ? errors.join('; ').slice(0, 200) : `HTTP ${response.status}`;
    throw new ConfigError(`${where}: Vault refused to ${op} (${reason})`);
  }
  return reply;
}

export const keyType: KeyType<VaultRef> = {
  id: 'hc_vault',
  hasCreatedAt: true,

  parseRef(fields: KeyFields): VaultRef {
    return checked({
      address: field(fields, 'vault_address'),
      enginePath: field(fields, 'engine_path'),
      keyName: field(fields, 'key_name'),
    });
  },

  formatRef(ref: VaultRef) {
    return { vault_address: ref.address, engine_path: ref.enginePath, key_name: ref.keyName };
  },

  describe: (ref: VaultRef): string => `hc_vault ${uriOf(ref)}`,

  parseFlag(text: string): VaultRef {
    const match = URI.exec(text.trim());
    if (!match) {
      throw new ConfigError(
        `hc_vault: ${JSON.stringify(text.trim())} is not a transit key URI (https://host:port/v1/<engine>/keys/<name>)`,
      );
    }
    const [, address = '', enginePath = '', keyName = ''] = match;
    return checked({ address, enginePath: enginePath.replace(/^\/+|\/+$/g, ''), keyName });
  },

  async wrap(ref: VaultRef, part: Uint8Array, ctx: Context): Promise<string> {
    const reply = await transit(ref, 'encrypt', { plaintext: Buffer.from(part).toString('base64') }, ctx);
    const ciphertext = reply.data?.ciphertext;
    if (typeof ciphertext !== 'string' || !ciphertext.startsWith('vault:')) {
      throw new ConfigError(`hc_vault ${uriOf(ref)}: Vault's encrypt reply has no ciphertext`);
    }
    return ciphertext;
  },

  async unwrap(ref: VaultRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const reply = await transit(ref, 'decrypt', { ciphertext: enc }, ctx);
    const plaintext = reply.data?.plaintext;
    if (typeof plaintext !== 'string') {
      throw new FormatError(`hc_vault ${uriOf(ref)}: Vault's decrypt reply has no plaintext`);
    }
    return new Uint8Array(Buffer.from(plaintext, 'base64'));
  },
};
