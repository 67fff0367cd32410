/**
 * `gcp_kms` master keys: the data key (or a Shamir share) is encrypted with Google
 * Cloud KMS over its REST API, as sops does: `:encrypt` with the part as plaintext,
 * stored as the standard base64 of the returned ciphertext. A key is the resource id
 * `projects/P/locations/L/keyRings/R/cryptoKeys/K`. The endpoint is
 * `https://cloudkms.googleapis.com`, or SOPS_GCP_KMS_ENDPOINT, or derived from
 * SOPS_GCP_KMS_UNIVERSE_DOMAIN. Credentials: GOOGLE_OAUTH_ACCESS_TOKEN, else a
 * service_account or authorized_user JSON from GOOGLE_CREDENTIALS (text or path),
 * GOOGLE_APPLICATION_CREDENTIALS or gcloud's application default file, else the GCE
 * metadata server (GCE_METADATA_HOST, one second to answer). With
 * KEYWARD_AMBIENT_CREDENTIALS off only GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS and
 * GOOGLE_APPLICATION_CREDENTIALS are used (no gcloud file, no metadata server). Tokens are cached for the life of the process per credential (a
 * sha256 of its JSON) or metadata host; a GOOGLE_OAUTH_ACCESS_TOKEN is never cached.
 * The resource id comes from an untrusted file and becomes the request path, so each
 * part must be in Google's documented form: a project id (`my-project`,
 * `example.com:my-project`) or number, a location id (`global`, `europe-west1`), key
 * ring and key ids of 1 to 63 letters, digits, `_` or `-`.
 */

import { createHash, createSign } from 'node:crypto';
import { ConfigError, FormatError } from '../errors.js';
import { ambientCredentials } from '../settings.js';
import type { Context, HttpRequest, HttpResponse, KeyFields, KeyType } from '../types.js';

export interface GcpKmsRef {
  resourceId: string;
}

/** Project: an id or number, optionally domain-scoped (`example.com:my-project`); no `..` anywhere. */
const PROJECT = '(?:[a-z0-9-]+(?:\\.[a-z0-9-]+)*:)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LOCATION = '[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?';
const ID = '[A-Za-z0-9_-]{1,63}';
const RESOURCE = new RegExp(`^projects/${PROJECT}/locations/${LOCATION}/keyRings/${ID}/cryptoKeys/${ID}$`);
const SCOPE = 'https://www.googleapis.com/auth/cloudkms';
const TOKEN_URI = 'https://oauth2.googleapis.com/token';
const ENV_HINT = 'set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS';

const describe = (ref: GcpKmsRef): string => `gcp_kms ${ref.resourceId}`;

function checked(resourceId: string): GcpKmsRef {
  if (!RESOURCE.test(resourceId)) {
    throw new ConfigError(
      `gcp_kms: ${JSON.stringify(resourceId)} is not a Cloud KMS key id (projects/P/locations/L/keyRings/R/cryptoKeys/K)`,
    );
  }
  return { resourceId };
}

/** Scheme, host and port of the Cloud KMS API, without a trailing slash. */
function endpoint(ctx: Context): string {
  const given = ctx.settings.first('SOPS_GCP_KMS_ENDPOINT')?.trim();
  if (given) return (/^https?:\/\//.test(given) ? given : `https://${given}`).replace(/\/+$/, '');
  return `https://cloudkms.${ctx.settings.first('SOPS_GCP_KMS_UNIVERSE_DOMAIN')?.trim() || 'googleapis.com'}`;
}

type Json = Record<string, unknown>;
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const origin = (url: string): string => url.replace(/^(\w+:\/\/[^/]*).*$/, '$1');

/** Fetches and reads a JSON reply (`{}` when it is not JSON); an unreachable server names only the address. */
async function request(where: string, url: string, init: HttpRequest, ctx: Context): Promise<[HttpResponse, Json]> {
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, { ...(ctx.signal ? { signal: ctx.signal } : {}), ...init });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? (err.cause as Error & { code?: unknown }) : undefined;
    const reason = text(cause?.code) || cause?.message || (err instanceof Error ? err.message : 'error');
    throw new ConfigError(`${where}: ${origin(url)} is not reachable (${reason})`);
  }
  const reply: unknown = await response.json().catch(() => ({}));
  return [response, typeof reply === 'object' && reply !== null ? (reply as Json) : {}];
}

interface Token {
  value: string;
  expires: number;
}

/** A token from an OAuth token endpoint or the metadata server; errors give the OAuth error code only. */
async function fetchToken(where: string, url: string, init: HttpRequest, ctx: Context): Promise<Token> {
  const [response, reply] = await request(where, url, init, ctx);
  const value = text(reply.access_token);
  if (!response.ok || value === '') {
    const code = text(reply.error).slice(0, 80) || `HTTP ${response.status}`;
    throw new ConfigError(`${where}: ${origin(url)} gave no access token (${code})`);
  }
  const seconds = typeof reply.expires_in === 'number' ? reply.expires_in : 3600;
  return { value, expires: ctx.now().getTime() + seconds * 1000 };
}

const form = (fields: Record<string, string>): HttpRequest => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** An access token for a service_account (signed JWT grant) or authorized_user (refresh grant) credential. */
async function exchange(where: string, source: string, creds: Json, ctx: Context): Promise<Token> {
  const uri = text(creds.token_uri) || TOKEN_URI;
  if (creds.type === 'authorized_user') {
    const [client_id, client_secret, refresh_token] = [creds.client_id, creds.client_secret, creds.refresh_token].map(
      text,
    );
    if (!client_id || !client_secret || !refresh_token) {
      throw new ConfigError(`${where}: ${source} lacks client_id, client_secret or refresh_token`);
    }
    return fetchToken(where, uri, form({ grant_type: 'refresh_token', client_id, client_secret, refresh_token }), ctx);
  }
  if (creds.type !== 'service_account') {
    throw new ConfigError(
      `${where}: ${source}: credentials of type ${JSON.stringify(text(creds.type))} are not supported`,
    );
  }
  const [email, key, kid] = [creds.client_email, creds.private_key, creds.private_key_id].map(text);
  if (!email || !key) throw new ConfigError(`${where}: ${source} lacks client_email or private_key`);
  const now = Math.floor(ctx.now().getTime() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: 'RS256', typ: 'JWT', ...(kid ? { kid } : {}) });
  const unsigned = `${header}.${part({ iss: email, scope: SCOPE, aud: uri, iat: now, exp: now + 3600 })}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(unsigned).sign(key, 'base64url');
  } catch {
    throw new ConfigError(`${where}: the private_key in ${source} cannot sign`);
  }
  const assertion = `${unsigned}.${signature}`;
  return fetchToken(where, uri, form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }), ctx);
}

async function readText(ctx: Context, path: string): Promise<string | undefined> {
  return ctx.readFile(path).then(
    (bytes) => new TextDecoder().decode(bytes),
    () => undefined,
  );
}

/** The credential JSON and where it came from, or undefined when none is configured. */
async function credentials(where: string, ctx: Context): Promise<[string, string] | undefined> {
  const inline = ctx.settings.first('GOOGLE_CREDENTIALS')?.trim();
  if (inline) {
    // the value may be the JSON itself, so it is never echoed
    const json = inline.startsWith('{') ? inline : await readText(ctx, inline);
    if (json === undefined) throw new ConfigError(`${where}: GOOGLE_CREDENTIALS is neither JSON nor a readable file`);
    return ['GOOGLE_CREDENTIALS', json];
  }
  const path = ctx.settings.first('GOOGLE_APPLICATION_CREDENTIALS')?.trim();
  if (path) {
    const json = await readText(ctx, path);
    if (json === undefined) throw new ConfigError(`${where}: cannot read GOOGLE_APPLICATION_CREDENTIALS file ${path}`);
    return [`GOOGLE_APPLICATION_CREDENTIALS file ${path}`, json];
  }
  if (!ambientCredentials(ctx.settings)) return undefined;
  const home = ctx.settings.first('HOME');
  const gcloud = ctx.settings.first('CLOUDSDK_CONFIG') ?? (home ? `${home}/.config/gcloud` : undefined);
  const adc = `${gcloud}/application_default_credentials.json`;
  const json = gcloud ? await readText(ctx, adc) : undefined;
  return json === undefined ? undefined : [adc, json];
}

/** A token from the GCE metadata server (one second to answer), else the error naming what to set. */
async function metadataToken(where: string, ctx: Context): Promise<Token> {
  const host = ctx.settings.first('GCE_METADATA_HOST')?.trim() || 'metadata.google.internal';
  const timeout = AbortSignal.timeout(1000);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`;
  return fetchToken(where, url, { headers: { 'Metadata-Flavor': 'Google' }, signal }, ctx).catch(() => {
    throw new ConfigError(`${where}: no Google credentials (${ENV_HINT}; the GCE metadata server gave no token)`);
  });
}

const tokens = new Map<string, Promise<Token>>();

/** A bearer token for Cloud KMS, fetched once per credential (or metadata host) and process. */
async function token(where: string, ctx: Context): Promise<string> {
  const fixed = ctx.settings.first('GOOGLE_OAUTH_ACCESS_TOKEN')?.trim();
  if (fixed) return fixed;
  const found = await credentials(where, ctx);
  if (!found && !ambientCredentials(ctx.settings)) {
    throw new ConfigError(`${where}: no Google credentials (${ENV_HINT}; KEYWARD_AMBIENT_CREDENTIALS is off)`);
  }
  const host = ctx.settings.first('GCE_METADATA_HOST')?.trim() || 'metadata.google.internal';
  const cacheKey = createHash('sha256')
    .update(found ? `credentials\n${found[1]}` : `metadata\n${host}`)
    .digest('hex');
  const cached = tokens.get(cacheKey); // looked up before any await, so parallel calls share one fetch
  const hit = cached ? await cached.catch(() => undefined) : undefined;
  if (hit && hit.expires - 60_000 > ctx.now().getTime()) return hit.value;
  const fresh = (async (): Promise<Token> => {
    if (!found) return metadataToken(where, ctx);
    let creds: unknown;
    try {
      creds = JSON.parse(found[1]);
    } catch {
      throw new ConfigError(`${where}: ${found[0]} is not valid credentials JSON`);
    }
    return exchange(where, found[0], typeof creds === 'object' && creds !== null ? (creds as Json) : {}, ctx);
  })();
  tokens.set(cacheKey, fresh);
  fresh.catch(() => tokens.get(cacheKey) === fresh && tokens.delete(cacheKey));
  return (await fresh).value;
}

/** POSTs `:encrypt` or `:decrypt`; errors name the key and Google's status, never the payload. */
async function call(ref: GcpKmsRef, op: 'encrypt' | 'decrypt', body: object, ctx: Context): Promise<Json> {
  const where = describe(ref);
  const headers = { Authorization: `Bearer ${await token(where, ctx)}`, 'Content-Type': 'application/json' };
  const url = `${endpoint(ctx)}/v1/${ref.resourceId}:${op}`;
  const [response, reply] = await request(where, url, { method: 'POST', headers, body: JSON.stringify(body) }, ctx);
  if (!response.ok) {
    const error: Json = typeof reply.error === 'object' && reply.error !== null ? (reply.error as Json) : {};
    const message = text(error.message).slice(0, 160);
    const reason = `${text(error.status) || `HTTP ${response.status}`}${message ? `: ${message}` : ''}`;
    throw new ConfigError(`${where}: Cloud KMS refused to ${op} (${reason})`);
  }
  return reply;
}

export const keyType: KeyType<GcpKmsRef> = {
  id: 'gcp_kms',
  hasCreatedAt: true,

  parseRef(fields: KeyFields): GcpKmsRef {
    const id = fields.resource_id;
    if (typeof id !== 'string' || id === '') throw new FormatError('gcp_kms: key entry has no resource_id');
    return checked(id);
  },

  formatRef: (ref: GcpKmsRef) => ({ resource_id: ref.resourceId }),

  describe,

  /** A resource id; like sops, spaces in it are dropped. */
  parseFlag: (value: string): GcpKmsRef => checked(value.replaceAll(' ', '').trim()),

  async wrap(ref: GcpKmsRef, part: Uint8Array, ctx: Context): Promise<string> {
    const reply = await call(ref, 'encrypt', { plaintext: Buffer.from(part).toString('base64') }, ctx);
    const ciphertext = text(reply.ciphertext);
    if (ciphertext === '') throw new ConfigError(`${describe(ref)}: Cloud KMS's encrypt reply has no ciphertext`);
    return Buffer.from(ciphertext, 'base64').toString('base64');
  },

  async unwrap(ref: GcpKmsRef, enc: string, ctx: Context): Promise<Uint8Array | null> {
    const reply = await call(ref, 'decrypt', { ciphertext: Buffer.from(enc, 'base64').toString('base64') }, ctx);
    if (typeof reply.plaintext !== 'string') {
      throw new FormatError(`${describe(ref)}: Cloud KMS's decrypt reply has no plaintext`);
    }
    return new Uint8Array(Buffer.from(reply.plaintext, 'base64'));
  },
};
