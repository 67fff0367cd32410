/**
 * The token one vault backend instance reads with, for as long as the instance lives
 * (a render, or an in-pod agent's whole life). The first read logs in (or takes a
 * cached token). Past two thirds of its TTL the token is renewed
 * (`auth/token/renew-self`); when it cannot be — not renewable, renewal refused, or
 * close to its max TTL — the instance logs in again, which re-reads the token file
 * (the kubelet rotates projected service-account tokens). A failed renewal keeps the
 * token while it still lives and tries again a little later. A read Vault denies
 * (a revoked token, a restarted Vault) logs in again once, shared by the reads in
 * flight. Logins, renewals and re-logins are one at a time.
 */

import { createHash } from 'node:crypto';
import { BackendError } from '../../errors.js';
import type { Settings } from '../../settings.js';
import type { Context } from '../../types.js';
import { type LoginPlan, login } from './auth.js';
import type { VaultClient } from './client.js';
import { TokenCache } from './token-cache.js';

/** The part of a token's TTL after which it is renewed. */
const RENEW_AT = 2 / 3;
/** After a failed renewal or re-login, the old token is used this long before the next try. */
const RETRY_MS = 5_000;

interface Lease {
  /** Milliseconds since the epoch. */
  renewAt: number;
  expiresAt: number;
  /** The TTL the login gave, in milliseconds: a renewal that gives much less is near the max TTL. */
  loginTtlMs: number;
  renewable: boolean;
}

const seconds = (ms: number): number => Math.round(ms / 1000);

export class TokenSession {
  /** Goes up at every login: a read denied with generation g logs in again only if nobody has since. */
  private generation = 0;
  private pending: Promise<void> | undefined;
  private lease: Lease | undefined;
  private cacheOf: Promise<TokenCache> | undefined;

  constructor(
    private readonly client: VaultClient,
    private readonly plan: LoginPlan,
    private readonly settings: Settings,
    private readonly ctx: Context,
  ) {}

  /**
   * The token cache entry of this login: keyed by the server, the method, who logs in
   * and a digest of the proof (secret id, password, JWT), so a wrong password for a
   * known user name, or another role's JWT, never finds another login's token.
   */
  private cache(): Promise<TokenCache> {
    this.cacheOf ??= (async () => {
      const { address, namespace } = this.client.connection;
      if (this.plan.method === 'token')
        return TokenCache.for([], this.settings.with([['KEYWARD_VAULT_TOKEN_CACHE', 'off']]), this.ctx);
      const proof = createHash('sha256')
        .update(await this.plan.proof(this.ctx))
        .digest('hex');
      const identity = [address, namespace ?? '', this.plan.method, this.plan.mount, this.plan.identity, proof];
      return TokenCache.for(identity, this.settings, this.ctx);
    })();
    // a proof that could not be read (a missing token file) is read again next time
    this.cacheOf.catch(() => {
      this.cacheOf = undefined;
    });
    return this.cacheOf;
  }

  /** Makes sure the client holds a token that is good to read with; returns its generation. */
  async ready(): Promise<number> {
    while (this.pending) await this.pending;
    if (!this.client.token) await this.once(() => this.logIn(false));
    else if (this.lease && this.now() >= this.lease.renewAt) await this.once(() => this.refresh());
    return this.generation;
  }

  /**
   * Vault denied a read made with generation `g`: logs in again (once for every read of
   * that generation) and says whether the read is worth another try (not with a given token).
   */
  async denied(g: number): Promise<boolean> {
    if (this.plan.method === 'token') return false;
    while (this.pending) await this.pending.catch(() => undefined);
    if (g === this.generation) {
      this.ctx.log.debug(`vault: a read was denied; logging in again with ${this.plan.method}`);
      await this.once(async () => {
        await (await this.cache()).drop();
        await this.logIn(true);
      });
    }
    return true;
  }

  private now(): number {
    return this.ctx.now().getTime();
  }

  private once(task: () => Promise<void>): Promise<void> {
    this.pending ??= task().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private setLease(ttlMs: number, renewable: boolean, loginTtlMs = ttlMs): void {
    const now = this.now();
    this.lease =
      ttlMs > 0 ? { renewAt: now + ttlMs * RENEW_AT, expiresAt: now + ttlMs, loginTtlMs, renewable } : undefined;
  }

  private async logIn(fresh: boolean): Promise<void> {
    // a fresh login reads the proof again (the kubelet rotates service-account tokens)
    if (fresh) this.cacheOf = undefined;
    const cached = fresh ? undefined : await (await this.cache()).get();
    if (cached) {
      this.client.token = cached.token;
      this.setLease(cached.expires - this.now(), true);
      this.generation++;
      this.ctx.log.debug(`vault: using a cached ${this.plan.method} token`);
      return;
    }
    // without the old token: it may be the very thing Vault no longer accepts
    const result = await login(this.plan, this.client.anonymous(), this.settings, this.ctx);
    this.client.token = result.token;
    this.setLease(result.ttl * 1000, result.renewable);
    this.generation++;
    if (this.plan.method !== 'token') {
      this.ctx.log.debug(`vault: logged in with ${this.plan.method} at ${this.plan.mount} for ${result.ttl} s`);
      await (await this.cache()).put(result.token, result.ttl);
    }
  }

  /** Renews the token, or logs in again; keeps the old token while it lives when neither works. */
  private async refresh(): Promise<void> {
    const lease = this.lease;
    try {
      if (lease?.renewable && (await this.renew(lease))) return;
      await this.logIn(true);
    } catch (err) {
      const left = lease ? lease.expiresAt - this.now() : 0;
      if (!lease || left <= 0 || this.plan.method === 'token') throw err;
      const why = err instanceof BackendError ? err.message : 'failed';
      this.ctx.log.warn(`vault: could not renew the token or log in again (${why}); it lives ${seconds(left)} s more`);
      lease.renewAt = Math.min(lease.expiresAt, this.now() + RETRY_MS);
    }
  }

  /** Whether `renew-self` extended the token far enough (not near its max TTL). */
  private async renew(lease: Lease): Promise<boolean> {
    let ttl: unknown;
    let renewable: unknown;
    try {
      const reply = await this.client.request('POST', 'auth/token/renew-self', {});
      ttl = reply?.auth?.lease_duration;
      renewable = reply?.auth?.renewable;
    } catch (err) {
      this.ctx.log.debug(`vault: renewing the token failed (${err instanceof Error ? err.message : 'error'})`);
      return false;
    }
    if (typeof ttl !== 'number' || ttl * 1000 < lease.loginTtlMs / 3) return false;
    this.setLease(ttl * 1000, renewable === true, lease.loginTtlMs);
    this.ctx.log.debug(`vault: renewed the token for ${ttl} s`);
    return true;
  }
}
