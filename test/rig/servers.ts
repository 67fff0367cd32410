/**
 * Starting and stopping the rig's servers: each gets a free loopback port, its
 * output goes to a log file, and start-up waits until it answers (or fails with
 * the end of its log).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { toolPath } from './paths.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  name: string;
  child: ChildProcess;
  log: string;
}

export function startServer(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  log: string,
): RunningServer {
  const out = createWriteStream(log);
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { name, child, log };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it returns true; fails if the process exits or time runs out. */
export async function waitUntilReady(server: RunningServer, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`test rig: ${server.name} exited with ${server.child.exitCode}:\n${tail(server.log)}`);
    }
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`test rig: ${server.name} did not answer within ${timeoutMs} ms:\n${tail(server.log)}`);
}

export async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface VaultDevServer {
  server: RunningServer;
  addr: string;
  token: string;
}

/** The rig's Vault-API server in dev mode on a free loopback port, with a fresh root token. */
export async function startVaultDev(name: string, work: string, log: string): Promise<VaultDevServer> {
  const port = await freePort();
  const token = `root-${randomUUID()}`;
  const addr = `http://127.0.0.1:${port}`;
  const server = startServer(
    name,
    toolPath('rig-vault'),
    ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`],
    { HOME: work, VAULT_ADDR: addr, BAO_ADDR: addr, SKIP_SETCAP: '1' },
    join(work, log),
  );
  await waitUntilReady(server, async () => (await fetch(`${addr}/v1/sys/health`)).status === 200);
  return { server, addr, token };
}
