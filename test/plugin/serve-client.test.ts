/**
 * The resident server watches the client of each request while it is handled: a
 * client killed mid-request has the handler's signal aborted within a second, gets
 * nothing written and leaves no reply FIFO behind, and the server goes on answering
 * others at once, even when the handler never looks at its signal. A client that got
 * its reply is no longer watched. plugin/server.ts runs in this process with the
 * test's handler; the client is the real plugin/keyward-cmp. A stub `keyward` on PATH
 * prints `fallback …`, so a client that runs keyward itself is seen.
 */

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseStartTime, startTime } from '../../plugin/serve-client.js';
import { type GenerateReply, type GenerateRequest, type Server, serve } from '../../plugin/server.js';
import { REPO, run, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const home = join(dir, 'server');
const bin = join(dir, 'bin');
const CMP = join(REPO, 'plugin', 'keyward-cmp');

interface Seen {
  signal: AbortSignal;
  abortedAt?: number;
}
/** The requests handled, by the client's CASE variable. */
const seen = new Map<string, Seen>();

/** CASE=slow… waits for the signal, CASE=deaf… never settles, CASE=broken fails; others answer at once. */
function handle(req: GenerateRequest, signal: AbortSignal): Promise<GenerateReply> {
  const name = req.env.CASE ?? '';
  const entry: Seen = { signal };
  seen.set(name, entry);
  signal.addEventListener('abort', () => {
    entry.abortedAt = performance.now();
  });
  if (name.startsWith('slow')) return new Promise((_, reject) => signal.addEventListener('abort', reject));
  if (name.startsWith('deaf')) return new Promise(() => undefined);
  if (name === 'broken') return Promise.reject(new Error('a message quoting TOKEN=s3cr3t'));
  return Promise.resolve({ code: 0, stdout: `${name}:${req.args.join(',')}\n`, stderr: '' });
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = performance.now() + ms; !ok(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (performance.now() > end) throw new Error(`not within ${ms} ms`);
  }
}

const clientEnv = (name: string, folder = home) => ({
  PATH: `${bin}:${process.env.PATH ?? ''}`,
  HOME: dir,
  KEYWARD_SERVER: folder,
  CASE: name,
});

/** Runs keyward-cmp to its end. */
const cmp = (name: string, args: string[] = []) =>
  run('sh', [CMP, ...args], { clean: true, env: clientEnv(name), timeoutMs: 20_000 });

/** Starts keyward-cmp and waits until the server handles its request; its pid is the client's $$. */
async function started(name: string, folder = home) {
  const client = spawn('sh', [CMP], { env: clientEnv(name, folder), stdio: 'ignore' });
  await until(() => seen.has(name));
  const exited = new Promise((resolve) => client.once('exit', resolve));
  return { client, exited, reply: join(folder, `reply.${client.pid}`) };
}

let server: Server;

beforeAll(() => {
  mkdirSync(bin);
  writeFileSync(join(bin, 'keyward'), '#!/bin/sh\necho "fallback $*"\n');
  chmodSync(join(bin, 'keyward'), 0o755);
  server = serve(home, handle);
});

afterAll(() => server.close());

describe('keyward argocd serve and clients that go away', () => {
  it('aborts the signal within a second of the client being killed, writes nothing, removes its reply FIFO', async () => {
    const { client, exited, reply } = await started('slow');
    expect(existsSync(reply)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.get('slow')?.signal.aborted).toBe(false);
    const killedAt = performance.now();
    client.kill('SIGKILL');
    await exited;
    await until(() => seen.get('slow')?.abortedAt !== undefined, 1000);
    expect((seen.get('slow')?.abortedAt ?? Infinity) - killedAt).toBeLessThan(1000);
    await until(() => !existsSync(reply), 1000);
    const next = await cmp('next', ['--strict']);
    expect(next).toMatchObject({ code: 0, stdout: 'next:--strict\n', stderr: '' });
    expect(readdirSync(home).sort()).toEqual(['pid', 'requests']);
  });

  it('abandons a handler that never settles nor looks at its signal, and answers the next client at once', async () => {
    const { client, exited, reply } = await started('deaf');
    client.kill('SIGKILL');
    await exited;
    await until(() => !existsSync(reply), 1000);
    expect(seen.get('deaf')?.signal.aborted).toBe(true);
    const next = await cmp('after-deaf');
    expect(next).toMatchObject({ code: 0, stdout: 'after-deaf:\n' });
    expect(next.ms).toBeLessThan(2000);
  });

  it('stops watching a client once it is answered: its exit aborts nothing', async () => {
    expect(await cmp('quick')).toMatchObject({ code: 0, stdout: 'quick:\n' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen.get('quick')?.signal.aborted).toBe(false);
  });

  it('answers many concurrent clients while one request is in flight', async () => {
    const { client, exited } = await started('slow-2');
    const names = Array.from({ length: 24 }, (_, i) => `many-${i}`);
    const results = await Promise.all(names.map((name) => cmp(name, [name])));
    expect(results.map((r) => r.stdout)).toEqual(names.map((name) => `${name}:${name}\n`));
    client.kill('SIGKILL');
    await exited;
    await until(() => seen.get('slow-2')?.abortedAt !== undefined, 1000);
    expect(readdirSync(home).sort()).toEqual(['pid', 'requests']);
  });

  it('hands back a request whose handler fails: the client runs keyward itself; the log line quotes nothing', async () => {
    const log = vi.spyOn(process.stderr, 'write');
    try {
      const res = await cmp('broken');
      expect(res).toMatchObject({ code: 0, stdout: 'fallback argocd generate\n', stderr: '' });
      const lines = log.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('keyward:'));
      expect(lines).toEqual([
        expect.stringMatching(/^keyward: argocd: request of process \d+ handed back \(Error\)\n$/),
      ]);
    } finally {
      log.mockRestore();
    }
  });

  it('aborts the requests in flight when the server closes', async () => {
    const other = serve(join(dir, 'closing'), handle);
    const { client, exited } = await started('slow-close', join(dir, 'closing'));
    other.close();
    expect(seen.get('slow-close')?.signal.aborted).toBe(true);
    client.kill('SIGKILL');
    await exited;
  });
});

describe('a client is known by its pid and start time', () => {
  // fields 3… of a /proc/<pid>/stat line: field n holds n, so field 22 (the start time) is 22
  const rest = ['S', ...Array.from({ length: 49 }, (_, i) => String(i + 4))].join(' ');

  it('reads field 22, also after a command name with spaces and parentheses', () => {
    expect(parseStartTime(`4242 (sh) ${rest}`)).toBe('22');
    expect(parseStartTime(`4242 (a) (b c)) ${rest}`)).toBe('22');
  });

  it('takes a zombie, a vanished process and a line that is none for gone', () => {
    expect(parseStartTime(`4242 (sh) Z${rest.slice(1)}`)).toBeUndefined();
    expect(parseStartTime('garbage')).toBeUndefined();
    expect(startTime('999999999')).toBeUndefined();
  });

  it("matches this process's own start time", () => {
    const own = readFileSync('/proc/self/stat', 'utf8');
    expect(startTime(String(process.pid))).toBe(parseStartTime(own));
    expect(startTime(String(process.pid))).toMatch(/^\d+$/);
  });
});
