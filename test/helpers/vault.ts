/**
 * Setting up the rig's Vault/OpenBao dev server for a test, with its root token:
 * mounts with unique names, KV writes (v1 and v2, versions), policies, tokens
 * limited to a policy, and auth methods. Every call fails loudly with Vault's status.
 */

import { randomUUID } from 'node:crypto';
import { ENV, rigEnv } from '../rig/paths.js';

export const vaultAddr = (): string => rigEnv(ENV.vaultAddr);

/** A function calling one Vault server with one token; it returns the JSON reply (or {} when there is none). */
export function vaultCaller(addr: () => string, token: () => string) {
  return async (path: string, body?: object, method = body ? 'POST' : 'GET'): Promise<Record<string, unknown>> => {
    const res = await fetch(`${addr()}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token() },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`vault ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
}

/** Calls the rig's Vault as root; returns the JSON reply (or {} when there is none). */
export const vaultAdmin = vaultCaller(vaultAddr, () => rigEnv(ENV.vaultToken));

/** A fresh mount of `type` (with options) under a unique name; returns the name. */
export async function mount(type: string, options: Record<string, string> = {}): Promise<string> {
  const name = `${type}-${randomUUID().slice(0, 8)}`;
  await vaultAdmin(`sys/mounts/${name}`, { type, options });
  return name;
}

/** Writes KV v2 data (one new version per call). */
export const writeKv2 = (mountName: string, path: string, data: Record<string, unknown>) =>
  vaultAdmin(`${mountName}/data/${path}`, { data });

/** Writes KV v1 data. */
export const writeKv1 = (mountName: string, path: string, data: Record<string, unknown>) =>
  vaultAdmin(`${mountName}/${path}`, data);

/** A policy named `name` with `read` on each path pattern. */
export async function readPolicy(name: string, paths: readonly string[]): Promise<void> {
  const hcl = paths.map((p) => `path "${p}" { capabilities = ["read", "list"] }`).join('\n');
  await vaultAdmin(`sys/policies/acl/${name}`, { policy: hcl });
}

/** A token with only these policies. */
export async function tokenWith(policies: readonly string[]): Promise<string> {
  const reply = await vaultAdmin('auth/token/create', { policies, ttl: '1h' });
  const auth = reply.auth as { client_token?: string } | undefined;
  if (!auth?.client_token) throw new Error('vault: no token');
  return auth.client_token;
}

/** Enables auth method `type` at `auth/<name>` (a unique name); returns the mount path `auth/<name>`. */
export async function authMount(type: string): Promise<string> {
  const name = `${type}-${randomUUID().slice(0, 8)}`;
  await vaultAdmin(`sys/auth/${name}`, { type });
  return `auth/${name}`;
}
