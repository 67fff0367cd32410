/**
 * Reading secrets for a render: one backend read per unique (scheme, path, version),
 * at most `concurrency` reads at a time, each with a timeout, retried with jittered
 * exponential backoff when the backend says the failure is passing (network, 5xx,
 * 429); once a read runs out of tries that way, the backend counts as unavailable and
 * its other reads end at once (the render fails anyway). Backends are created on first
 * use, so a render without Vault placeholders never configures or logs in to Vault.
 */

import { loadBackend } from '../backends/index.js';
import { BackendError, ConfigError, KeywardError } from '../errors.js';
import type { BackendHelpers, BackendInstance, Context } from '../types.js';
import type { SecretRef } from './grammar.js';

export interface ReaderOptions {
  /** Reads in flight at once (default 16). */
  concurrency?: number;
  /** Tries per read, the first included (default 3). */
  attempts?: number;
  /** Milliseconds one try may take (default 10,000). */
  timeoutMs?: number;
  /** Base of the backoff in milliseconds (default 200; the n-th retry waits up to base·2ⁿ). */
  backoffMs?: number;
  /** Backends made elsewhere, by scheme (shared by a long-running surface, or made by a test). */
  instances?: Readonly<Record<string, BackendInstance>>;
}

export const readKey = (ref: SecretRef): string =>
  `${ref.scheme}\u0000${ref.path}\u0000${ref.version ?? ''}\u0000${ref.kvVersion ?? ''}\u0000${ref.avp ?? ''}`;

/**
 * A backend instance for `scheme`, configured from the context's settings (no I/O: a
 * backend logs in at its first read). A long-running surface makes its instances with
 * this once and hands them to every render (`ReaderOptions.instances`), so a login
 * outlives one render.
 */
export async function createBackend(scheme: string, ctx: Context, helpers: BackendHelpers): Promise<BackendInstance> {
  const type = await loadBackend(scheme);
  if (!type) throw new ConfigError(`${scheme}: keyward has no such backend`);
  return type.create(type.configure(ctx.settings), ctx, helpers);
}

export class SecretReader {
  private readonly reads = new Map<string, Promise<unknown>>();
  private readonly backends = new Map<string, Promise<BackendInstance>>();
  /** Schemes whose instances were handed in: their owner closes them, not `close`. */
  private readonly shared = new Set<string>();
  private readonly breakers = new Map<string, AbortController>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;

  constructor(
    private readonly ctx: Context,
    private readonly helpers: BackendHelpers,
    options: ReaderOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? 200;
    for (const [scheme, instance] of Object.entries(options.instances ?? {})) {
      this.backends.set(scheme, Promise.resolve(instance));
      this.shared.add(scheme);
    }
  }

  /** The secret's data (undefined when it does not exist); the same promise for the same reference. */
  read(ref: SecretRef): Promise<unknown> {
    const key = readKey(ref);
    let pending = this.reads.get(key);
    if (!pending) {
      pending = this.limited(() => this.withRetries(ref));
      this.reads.set(key, pending);
    }
    return pending;
  }

  /** Number of distinct reads asked for so far. */
  get count(): number {
    return this.reads.size;
  }

  /** Closes the backends this reader made (not the ones handed in through `instances`). */
  async close(): Promise<void> {
    for (const [scheme, backend] of this.backends) {
      if (!this.shared.has(scheme)) await (await backend.catch(() => undefined))?.close?.();
    }
  }

  private backend(scheme: string): Promise<BackendInstance> {
    let pending = this.backends.get(scheme);
    if (!pending) {
      pending = createBackend(scheme, this.ctx, this.helpers);
      this.backends.set(scheme, pending);
    }
    return pending;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /** Aborted when a backend is found unavailable: its other reads stop at once. */
  private breaker(scheme: string): AbortController {
    let controller = this.breakers.get(scheme);
    if (!controller) {
      controller = new AbortController();
      this.breakers.set(scheme, controller);
    }
    return controller;
  }

  private unavailable(scheme: string): BackendError {
    const cause = this.breaker(scheme).signal.reason;
    const why = cause instanceof Error ? cause.message : 'unavailable';
    return new BackendError(`${scheme}: not read, the backend is unavailable (${why})`);
  }

  private async withRetries(ref: SecretRef): Promise<unknown> {
    const backend = await this.backend(ref.scheme);
    const breaker = this.breaker(ref.scheme);
    for (let attempt = 1; ; attempt++) {
      if (breaker.signal.aborted) throw this.unavailable(ref.scheme);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      try {
        const options = {
          ...(ref.version ? { version: ref.version } : {}),
          ...(ref.kvVersion ? { kvVersion: ref.kvVersion } : {}),
          ...(ref.avp ? { avp: true } : {}),
          // the caller's signal too: a render whose client went away stops reading
          signal: AbortSignal.any([timeout, breaker.signal, ...(this.ctx.signal ? [this.ctx.signal] : [])]),
        };
        return await backend.read(ref.path, options);
      } catch (err) {
        if (breaker.signal.aborted) throw this.unavailable(ref.scheme);
        if (this.ctx.signal?.aborted) throw new BackendError(`${ref.scheme}: not read, the render was stopped`);
        const failure = timeout.aborted
          ? new BackendError(`${ref.scheme}: no answer within ${this.timeoutMs / 1000} s`, { retryable: true })
          : err instanceof KeywardError
            ? err
            : new BackendError(`${ref.scheme}: read failed (${err instanceof Error ? err.name : 'error'})`, {
                retryable: true,
              });
        const passing = failure instanceof BackendError && failure.retryable;
        if (passing && attempt < this.attempts) {
          const wait = Math.random() * this.backoffMs * 2 ** (attempt - 1);
          this.ctx.log.debug(
            `${ref.scheme}: try ${attempt} failed (${failure.message}); again in ${Math.round(wait)} ms`,
          );
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            const stop = () => {
              clearTimeout(timer);
              resolve();
            };
            breaker.signal.addEventListener('abort', stop, { once: true });
          });
          continue;
        }
        // out of tries on a passing failure: the backend is down or overloaded, and the render fails
        // anyway, so its other reads end now instead of each waiting out its own tries
        if (passing) breaker.abort(failure);
        throw failure;
      }
    }
  }
}
