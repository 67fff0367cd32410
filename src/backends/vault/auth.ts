/**
 * Logging in to Vault/OpenBao. Methods and their settings (keyward's names, with
 * argocd-vault-plugin's accepted too):
 *   token     VAULT_TOKEN (else ~/.vault-token, unless KEYWARD_AMBIENT_CREDENTIALS is off)
 *   approle   AVP_ROLE_ID / VAULT_ROLE_ID, AVP_SECRET_ID / VAULT_SECRET_ID
 *   userpass  AVP_USERNAME / VAULT_USERNAME, AVP_PASSWORD / VAULT_PASSWORD
 *   kubernetes (or k8s)  AVP_K8S_ROLE / VAULT_ROLE, the service account token from
 *             AVP_K8S_TOKEN_PATH (default /var/run/secrets/kubernetes.io/serviceaccount/token)
 *   jwt       VAULT_ROLE, the token from KEYWARD_VAULT_JWT or the file KEYWARD_VAULT_JWT_FILE
 * The method is KEYWARD_VAULT_AUTH or AVP_AUTH_TYPE (default token). The mount is
 * KEYWARD_VAULT_AUTH_MOUNT, AVP_K8S_MOUNT_PATH (kubernetes), AVP_MOUNT_PATH, else
 * `auth/<method>`. Credentials never appear in errors.
 */

import { BackendError, ConfigError } from '../../errors.js';
import { ambientCredentials, type Settings } from '../../settings.js';
import type { Context } from '../../types.js';
import type { VaultClient } from './client.js';

export interface LoginPlan {
  method: 'token' | 'approle' | 'userpass' | 'kubernetes' | 'jwt';
  /** `auth/approle`, without slashes at the ends. */
  mount: string;
  /** Who logs in, for the token cache key (a role, a role id, a user name); never a secret. */
  identity: string;
  /**
   * The secret that proves the identity (secret id, password, JWT), read afresh: the
   * token cache key holds a digest of it, so no other login material finds the token.
   */
  proof: (ctx: Context) => Promise<string>;
  /** Builds the login body when needed (reads token files then). */
  body: (ctx: Context) => Promise<Record<string, string>>;
}

export interface Login {
  token: string;
  /** Seconds the token lives (0: no expiry known). */
  ttl: number;
  /** Whether `auth/token/renew-self` may extend it. */
  renewable: boolean;
}

const K8S_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

async function fileText(ctx: Context, path: string, what: string): Promise<string> {
  try {
    const text = new TextDecoder().decode(await ctx.readFile(path)).trim();
    if (text !== '') return text;
  } catch {
    // reported below
  }
  throw new ConfigError(`vault: cannot read ${what} from ${path}`);
}

function need(s: Settings, what: string, ...names: string[]): string {
  const value = s.first(...names);
  if (!value) throw new ConfigError(`vault: ${what} needs ${names.join(' or ')}`);
  return value;
}

/** What the settings say about logging in; no I/O. */
export function loginPlan(s: Settings): LoginPlan {
  const raw = (s.first('KEYWARD_VAULT_AUTH', 'AVP_AUTH_TYPE') ?? 'token').trim().toLowerCase();
  const method = raw === 'k8s' ? 'kubernetes' : raw;
  const mountFor = (name: string, ...extra: string[]) =>
    (s.first('KEYWARD_VAULT_AUTH_MOUNT', ...extra, 'AVP_MOUNT_PATH') ?? `auth/${name}`).replace(/^\/+|\/+$/g, '');
  switch (method) {
    case 'token':
      return { method, mount: '', identity: 'token', proof: async () => '', body: async () => ({}) };
    case 'approle': {
      const roleId = need(s, 'approle', 'AVP_ROLE_ID', 'VAULT_ROLE_ID');
      const secretId = need(s, 'approle', 'AVP_SECRET_ID', 'VAULT_SECRET_ID');
      return {
        method,
        mount: mountFor('approle'),
        identity: roleId,
        proof: async () => secretId,
        body: async () => ({ role_id: roleId, secret_id: secretId }),
      };
    }
    case 'userpass': {
      const username = need(s, 'userpass', 'AVP_USERNAME', 'VAULT_USERNAME');
      const password = need(s, 'userpass', 'AVP_PASSWORD', 'VAULT_PASSWORD');
      return {
        method,
        mount: `${mountFor('userpass')}/login/${encodeURIComponent(username)}`,
        identity: username,
        proof: async () => password,
        body: async () => ({ password }),
      };
    }
    case 'kubernetes': {
      const role = need(s, 'kubernetes', 'AVP_K8S_ROLE', 'VAULT_ROLE');
      const path = s.first('AVP_K8S_TOKEN_PATH') ?? K8S_TOKEN;
      return {
        method,
        mount: mountFor('kubernetes', 'AVP_K8S_MOUNT_PATH'),
        identity: role,
        proof: (ctx) => fileText(ctx, path, 'the service account token'),
        body: async (ctx) => ({ role, jwt: await fileText(ctx, path, 'the service account token') }),
      };
    }
    case 'jwt': {
      const role = need(s, 'jwt', 'VAULT_ROLE', 'KEYWARD_VAULT_ROLE');
      const given = s.first('KEYWARD_VAULT_JWT');
      const file = s.first('KEYWARD_VAULT_JWT_FILE');
      if (!given && !file) throw new ConfigError('vault: jwt needs KEYWARD_VAULT_JWT or KEYWARD_VAULT_JWT_FILE');
      return {
        method,
        mount: mountFor('jwt'),
        identity: role,
        proof: async (ctx) => given ?? (await fileText(ctx, file ?? '', 'the JWT')),
        body: async (ctx) => ({ role, jwt: given ?? (await fileText(ctx, file ?? '', 'the JWT')) }),
      };
    }
    default:
      throw new ConfigError(
        `vault: unknown auth method ${JSON.stringify(raw)} (token, approle, userpass, kubernetes, jwt)`,
      );
  }
}

/**
 * Logs in with the plan's method (the body is built now, so a token file is read
 * afresh each time); the token method reads VAULT_TOKEN or ~/.vault-token.
 */
export async function login(plan: LoginPlan, client: VaultClient, s: Settings, ctx: Context): Promise<Login> {
  if (plan.method === 'token') {
    const given = s.first('VAULT_TOKEN');
    // ~/.vault-token is the machine's, not a setting: not read without ambient credentials (a tenant's render)
    const home = ambientCredentials(s) ? s.first('HOME') : undefined;
    const token = given ?? (home ? await fileText(ctx, `${home}/.vault-token`, 'a token').catch(() => '') : '');
    if (!token) throw new ConfigError('vault: no token (set VAULT_TOKEN, or choose a login with KEYWARD_VAULT_AUTH)');
    return { token: token.trim(), ttl: 0, renewable: false };
  }
  const path = plan.method === 'userpass' ? plan.mount : `${plan.mount}/login`;
  const reply = await client.request('POST', path, await plan.body(ctx));
  const token = reply?.auth?.client_token;
  if (typeof token !== 'string' || token === '') throw new BackendError(`vault: ${path} gave no token`);
  const ttl = typeof reply?.auth?.lease_duration === 'number' ? reply.auth.lease_duration : 0;
  return { token, ttl, renewable: reply?.auth?.renewable === true };
}
