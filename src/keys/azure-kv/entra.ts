/**
 * Microsoft Entra tokens for Azure Key Vault (index.ts), the first credential set wins:
 * AZURE_ACCESS_TOKEN (used as is); AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET
 * (a service principal); AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE
 * (workload identity). Tokens come from AZURE_AUTHORITY_HOST (default
 * https://login.microsoftonline.com) for the resource the vault's host belongs to only, and
 * are cached in-process per authority, tenant, client, scope and a sha256 of the secret or
 * federated token, so a context with other credentials never gets them.
 */

import { createHash } from 'node:crypto';
import { ConfigError } from '../../errors.js';
import type { Context, HttpResponse } from '../../types.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Text a server sent back, shortened, with anything that looks like a payload or token cut out. */
export const clean = (text: string): string => text.replace(/[A-Za-z0-9+/=_.-]{40,}/g, '…').slice(0, 200);

export function reachError(label: string, service: string, err: unknown): ConfigError {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const reason = err instanceof Error ? `${err.message}${cause}` : 'error';
  return new ConfigError(`${label}: ${service} is not reachable (${clean(reason)})`);
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

async function requestToken(label: string, url: string, form: URLSearchParams, ctx: Context): Promise<Token> {
  let response: HttpResponse;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (err) {
    throw reachError(label, 'Microsoft Entra', err);
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
    throw new ConfigError(`${label}: Microsoft Entra refused a token (${clean(`${code}${text}`)})`);
  }
  const seconds = Number(reply.expires_in) || 300;
  return { value: reply.access_token, until: ctx.now().getTime() + Math.max(seconds - 120, 30) * 1000 };
}

/**
 * A bearer token for the vault at `vaultUrl` from the settings' credentials, cached per
 * authority, tenant, client, scope and credential; `label` names the key in messages.
 */
export async function entraToken(vaultUrl: string, label: string, ctx: Context): Promise<string> {
  const s = ctx.settings;
  const given = s.first('AZURE_ACCESS_TOKEN');
  if (given) return given.trim();
  const tenant = s.first('AZURE_TENANT_ID');
  const client = s.first('AZURE_CLIENT_ID');
  const secret = s.first('AZURE_CLIENT_SECRET');
  const federated = s.first('AZURE_FEDERATED_TOKEN_FILE');
  if (!tenant || !client || (!secret && !federated)) {
    throw new ConfigError(
      `${label}: no Azure credentials (set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, ` +
        'or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE, or AZURE_ACCESS_TOKEN; ' +
        'managed identity and the Azure CLI are not supported)',
    );
  }
  if (!/^[A-Za-z0-9.-]+$/.test(tenant)) throw new ConfigError(`${label}: AZURE_TENANT_ID is not a tenant id`);
  const authority = (s.first('AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  if (!/^https:\/\/[^/]+(\/.*)?$/.test(authority)) {
    throw new ConfigError(`${label}: AZURE_AUTHORITY_HOST must be an https URL`);
  }
  const scope = scopeOf(vaultUrl);
  // the federated token is read afresh (it is rotated); the credential is part of the cache key
  const proof = secret ?? (await assertion(label, federated ?? '', ctx));
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
  const pending = requestToken(label, `${authority}/${tenant}/oauth2/v2.0/token`, form, ctx);
  tokens.set(key, pending);
  return (await pending).value;
}

/** The federated token (e.g. a Kubernetes service account token), read afresh: it is rotated. */
async function assertion(label: string, file: string, ctx: Context): Promise<string> {
  let text = '';
  try {
    text = new TextDecoder().decode(await ctx.readFile(file)).trim();
  } catch {
    // reported below
  }
  if (text === '') throw new ConfigError(`${label}: cannot read AZURE_FEDERATED_TOKEN_FILE`);
  return text;
}
