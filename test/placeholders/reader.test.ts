/**
 * The secret reader behind every render: one read per unique (scheme, path,
 * version), never more than `concurrency` reads in flight, retries with backoff
 * only for failures the backend calls passing, a timeout per try, a backend that
 * runs out of tries ending its other reads at once, and typed errors for unknown schemes. Backends here are in-test instances.
 */

import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/errors.js';
import { SecretReader } from '../../src/placeholders/reader.js';
import type { BackendInstance, ReadOptions } from '../../src/types.js';
import { testContext } from '../helpers/context.js';

const helpers = { decryptFile: async () => ({}) };

function counting(answer: (path: string, options: ReadOptions, call: number) => Promise<unknown>) {
  const calls: string[] = [];
  let inFlight = 0;
  let most = 0;
  const instance: BackendInstance = {
    async read(path, options) {
      calls.push(`${path}@${options.version ?? ''}`);
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await answer(path, options, calls.length);
      } finally {
        inFlight--;
      }
    },
  };
  return { instance, calls, most: () => most };
}

describe('SecretReader', () => {
  it('reads each (scheme, path, version) once, however often it is asked', async () => {
    const fake = counting(async (path) => ({ path }));
    const reader = new SecretReader(testContext(), helpers, { instances: { vault: fake.instance } });
    const refs = [
      { scheme: 'vault', path: 'a', key: 'x' },
      { scheme: 'vault', path: 'a', key: 'y' },
      { scheme: 'vault', path: 'a', key: 'x', version: '2' },
      { scheme: 'vault', path: 'b' },
    ];
    await Promise.all([...refs, ...refs].map((r) => reader.read(r)));
    expect(fake.calls.sort()).toEqual(['a@', 'a@2', 'b@']);
    expect(reader.count).toBe(3);
  });

  it('keeps at most `concurrency` reads in flight', async () => {
    const fake = counting(() => new Promise((resolve) => setTimeout(() => resolve({}), 5)));
    const reader = new SecretReader(testContext(), helpers, { concurrency: 3, instances: { vault: fake.instance } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => reader.read({ scheme: 'vault', path: `p${i}` })));
    expect(fake.calls).toHaveLength(20);
    expect(fake.most()).toBe(3);
  });

  it('retries passing failures with backoff, and only those', async () => {
    const flaky = counting(async (_path, _options, call) => {
      if (call < 3) throw new BackendError('vault: HTTP 503', { retryable: true });
      return { ok: true };
    });
    const reader = new SecretReader(testContext(), helpers, { backoffMs: 1, instances: { vault: flaky.instance } });
    expect(await reader.read({ scheme: 'vault', path: 'x' })).toEqual({ ok: true });
    expect(flaky.calls).toHaveLength(3);

    const denied = counting(async () => {
      throw new BackendError('vault: permission denied');
    });
    const strict = new SecretReader(testContext(), helpers, { backoffMs: 1, instances: { vault: denied.instance } });
    await expect(strict.read({ scheme: 'vault', path: 'x' })).rejects.toThrow('permission denied');
    expect(denied.calls).toHaveLength(1);
  });

  it('a try that takes too long fails after the timeout, then retries, then gives up', async () => {
    const slow = counting(
      (_path, options) =>
        new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const reader = new SecretReader(testContext(), helpers, {
      timeoutMs: 50,
      attempts: 2,
      backoffMs: 1,
      instances: { vault: slow.instance },
    });
    const started = Date.now();
    await expect(reader.read({ scheme: 'vault', path: 'x' })).rejects.toThrow('vault: no answer within 0.05 s');
    expect(slow.calls).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a backend that runs out of tries is unavailable: its other reads end at once, other backends go on', async () => {
    const hanging = counting(
      (_path, options) =>
        new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const fine = counting(async (path) => ({ path }));
    const reader = new SecretReader(testContext(), helpers, {
      timeoutMs: 100,
      attempts: 2,
      backoffMs: 1,
      concurrency: 2,
      instances: { vault: hanging.instance, memory: fine.instance },
    });
    const started = Date.now();
    const reads = Array.from({ length: 20 }, (_, i) => reader.read({ scheme: 'vault', path: `p${i}` }));
    const results = await Promise.allSettled([...reads, reader.read({ scheme: 'memory', path: 'm' })]);
    // without the breaker: 20 reads, 2 at a time, 2 tries of 100 ms each = 2 s
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(hanging.calls.length).toBeLessThan(6);
    const messages = results.slice(0, 20).map((r) => (r.status === 'rejected' ? (r.reason as Error).message : ''));
    expect(messages.filter((m) => m === 'vault: no answer within 0.1 s').length).toBeGreaterThanOrEqual(1);
    expect(
      messages.filter((m) => m.startsWith('vault: not read, the backend is unavailable (vault: no answer')),
    ).toHaveLength(20 - messages.filter((m) => m === 'vault: no answer within 0.1 s').length);
    expect(results[20]).toEqual({ status: 'fulfilled', value: { path: 'm' } });
  });

  it('an unknown scheme is a configuration error', async () => {
    const reader = new SecretReader(testContext(), helpers);
    await expect(reader.read({ scheme: 'nope', path: 'x' })).rejects.toThrow('nope: keyward has no such backend');
  });
});
