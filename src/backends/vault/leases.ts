/**
 * Leased secrets (dynamic credentials such as `database/creds/app`) across the reads
 * of a long-lived backend (the in-pod agent re-renders every interval). Reading such
 * a path again would mint new credentials each time, so a leased reply is held and
 * served until two thirds of its lease have passed; then a renewable lease is renewed
 * (`sys/leases/renew`) and the same credentials kept, and a lease that cannot be
 * renewed any more (max TTL, revoked, not renewable) is read again: new credentials.
 * `refreshIn` tells the agent when the next of these is due, and so does any read
 * with a TTL but no lease (a KV v1 secret's `ttl`), so the agent re-reads on TTL.
 */

import type { Context } from '../../types.js';
import type { VaultClient, VaultReply } from './client.js';

interface Held {
  data: unknown;
  leaseId: string;
  renewable: boolean;
  /** Seconds the lease was given at the last read or renewal. */
  duration: number;
  /** Milliseconds since the epoch: renew or read again from then on. */
  dueAt: number;
}

/** The part of a lease after which it is refreshed (Vault Agent renews at a similar point). */
const SHARE = 2 / 3;
/** A renewal that leaves less than this many seconds is not worth keeping: read again. */
const SHORTEST_S = 2;

export class Leases {
  private readonly held = new Map<string, Held>();
  /** Due times of TTL'd reads without a lease, by path. */
  private readonly ttls = new Map<string, number>();

  constructor(
    private readonly client: VaultClient,
    private readonly ctx: Context,
  ) {}

  private now(): number {
    return this.ctx.now().getTime();
  }

  /** The held data of `path` when its lease is still good (renewing it when due); undefined: read it. */
  async fresh(path: string, signal?: AbortSignal): Promise<{ data: unknown } | undefined> {
    const held = this.held.get(path);
    if (!held) return undefined;
    if (this.now() < held.dueAt) return { data: held.data };
    this.held.delete(path);
    if (!held.renewable) return undefined;
    try {
      const body = { lease_id: held.leaseId, increment: held.duration };
      const reply = await this.client.request('POST', 'sys/leases/renew', body, signal);
      const duration = typeof reply?.lease_duration === 'number' ? reply.lease_duration : 0;
      if (duration < SHORTEST_S) return undefined;
      this.held.set(path, { ...held, duration, dueAt: this.now() + duration * SHARE * 1000 });
      this.ctx.log.debug(`vault: renewed the lease of ${path} for ${duration} s`);
      return { data: held.data };
    } catch {
      this.ctx.log.debug(`vault: the lease of ${path} could not be renewed: reading it again`);
      return undefined;
    }
  }

  /** Notes a raw read's reply: a lease is held, a TTL without a lease is remembered for `refreshIn`. */
  remember(path: string, reply: VaultReply | undefined): void {
    const duration = typeof reply?.lease_duration === 'number' ? reply.lease_duration : 0;
    if (!reply || duration <= 0) {
      this.ttls.delete(path);
      return;
    }
    const dueAt = this.now() + duration * SHARE * 1000;
    const leaseId = typeof reply.lease_id === 'string' ? reply.lease_id : '';
    if (leaseId === '') {
      this.ttls.set(path, dueAt);
      return;
    }
    this.held.set(path, { data: reply.data, leaseId, renewable: reply.renewable === true, duration, dueAt });
  }

  /** Seconds until the next lease or TTL is due (0 when one already is), or undefined when none. */
  refreshIn(): number | undefined {
    const due = [...[...this.held.values()].map((h) => h.dueAt), ...this.ttls.values()];
    if (due.length === 0) return undefined;
    return Math.max(0, (Math.min(...due) - this.now()) / 1000);
  }
}
