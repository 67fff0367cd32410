/**
 * A cache of Vault tokens got by logging in, so that a run (an Argo CD refresh
 * renders app after app) logs in once per token lifetime, not once per run. One
 * 0600 file per (address, namespace, auth method, mount, identity) under
 * KEYWARD_VAULT_TOKEN_CACHE (a folder; `off` turns the cache off), by default
 * `$XDG_CACHE_HOME/keyward/vault-tokens` or `~/.cache/keyward/vault-tokens`. A token
 * is used until a minute before it expires; a token Vault refuses is dropped and the
 * run logs in again. Without a writable place the cache is skipped, never fatal.
 */

import { createHash } from 'node:crypto';
import type { Settings } from '../../settings.js';
import type { Context } from '../../types.js';

const MARGIN_MS = 60_000;

export interface CachedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expires: number;
}

export class TokenCache {
  private constructor(
    private readonly file: string | undefined,
    private readonly ctx: Context,
  ) {}

  /** The cache for one login identity; `file` is undefined when caching is off. */
  static for(identity: readonly string[], s: Settings, ctx: Context): TokenCache {
    const setting = s.first('KEYWARD_VAULT_TOKEN_CACHE');
    if (setting === 'off' || setting === 'false' || !ctx.writePrivateFile) return new TokenCache(undefined, ctx);
    const base = s.first('XDG_CACHE_HOME') ?? (s.first('HOME') ? `${s.first('HOME')}/.cache` : undefined);
    const dir = setting ?? (base ? `${base}/keyward/vault-tokens` : undefined);
    if (!dir) return new TokenCache(undefined, ctx);
    const name = createHash('sha256').update(identity.join('\u0000')).digest('hex').slice(0, 32);
    return new TokenCache(`${dir}/${name}.json`, ctx);
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  /** A cached token that is still good, with its expiry, or undefined. */
  async get(): Promise<CachedToken | undefined> {
    if (!this.file) return undefined;
    try {
      const entry = JSON.parse(new TextDecoder().decode(await this.ctx.readFile(this.file))) as Partial<CachedToken>;
      if (typeof entry.token !== 'string' || typeof entry.expires !== 'number') return undefined;
      const good = entry.expires - MARGIN_MS > this.ctx.now().getTime();
      return good ? { token: entry.token, expires: entry.expires } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps a token that lives `ttl` seconds (0: an hour, Vault's default TTL). */
  async put(token: string, ttl: number): Promise<void> {
    if (!this.file || !this.ctx.writePrivateFile) return;
    const expires = this.ctx.now().getTime() + (ttl > 0 ? ttl : 3600) * 1000;
    try {
      await this.ctx.writePrivateFile(this.file, new TextEncoder().encode(JSON.stringify({ token, expires })));
    } catch {
      this.ctx.log.debug('vault: the token cache cannot be written; logging in on every run');
    }
  }

  /** Forgets the token (Vault refused it). */
  async drop(): Promise<void> {
    if (this.file && this.ctx.writePrivateFile) {
      await this.ctx.writePrivateFile(this.file, new TextEncoder().encode('{}')).catch(() => undefined);
    }
  }
}
