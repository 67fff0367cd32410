/**
 * The small Vault/OpenBao HTTP client the vault backend needs: one request
 * function over the Context's HTTP client with the address, namespace, CA and
 * token applied, and errors mapped to BackendError — passing (network, 5xx, 429)
 * or final (denied, bad request) — that carry Vault's error text, never a secret.
 * A 404 on a read is "does not exist", not an error.
 */

import { BackendError } from '../../errors.js';
import type { Context, HttpRequest, HttpResponse } from '../../types.js';

export interface VaultConnection {
  /** `https://vault.example:8200`, no trailing slash. */
  address: string;
  namespace?: string;
  ca?: string;
  insecure: boolean;
}

export interface VaultReply {
  data?: unknown;
  lease_id?: unknown;
  lease_duration?: unknown;
  renewable?: unknown;
  auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown };
  errors?: unknown;
  warnings?: unknown;
}

export class VaultClient {
  token: string | undefined;

  constructor(
    readonly connection: VaultConnection,
    private readonly ctx: Context,
  ) {}

  /** A client of the same server (and CA) without a token, for logging in. */
  anonymous(): VaultClient {
    return new VaultClient(this.connection, this.ctx);
  }

  /** GET or POST `/v1/<path>`; undefined for a 404 on GET. */
  async request(
    method: 'GET' | 'POST' | 'LIST',
    path: string,
    body?: object,
    signal?: AbortSignal,
  ): Promise<VaultReply | undefined> {
    const url = `${this.connection.address}/v1/${path.replace(/^\/+/, '')}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers['X-Vault-Token'] = this.token;
    if (this.connection.namespace) headers['X-Vault-Namespace'] = this.connection.namespace;
    if (body) headers['Content-Type'] = 'application/json';
    // a login has no read's signal: the render's own (a client that went away) still stops it
    const stop = signal ?? this.ctx.signal;
    const init: HttpRequest = {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(stop ? { signal: stop } : {}),
      ...(this.connection.ca ? { ca: this.connection.ca } : {}),
      ...(this.connection.insecure ? { insecure: true } : {}),
    };
    let response: HttpResponse;
    try {
      response = await this.ctx.fetch(url, init);
    } catch (err) {
      if (stop?.aborted) throw err;
      const reason = err instanceof Error ? ((err as { code?: string }).code ?? err.message) : 'error';
      throw new BackendError(`vault: ${this.connection.address} is not reachable (${reason})`, { retryable: true });
    }
    let reply: VaultReply = {};
    try {
      reply = (await response.json()) as VaultReply;
    } catch {
      // an empty or non-JSON body: the status says enough
    }
    if (response.status === 404 && method !== 'POST') return undefined;
    if (!response.ok) throw failure(response.status, reply, path);
    return reply;
  }
}

function failure(status: number, reply: VaultReply, path: string): BackendError {
  const errors = Array.isArray(reply.errors) ? reply.errors.filter((e): e is string => typeof e === 'string') : [];
  const text = errors.join('; ').replace(/\s+/g, ' ').slice(0, 200) || `HTTP ${status}`;
  const retryable = status >= 500 || status === 429;
  const what = status === 403 ? 'permission denied' : `HTTP ${status}`;
  return new BackendError(`vault: ${path}: ${what}${text !== what ? ` (${text})` : ''}`, { retryable });
}
