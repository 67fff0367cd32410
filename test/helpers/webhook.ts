/**
 * Running the built `keyward webhook` as a process for tests and talking to it over
 * TLS: start it on a free loopback port and wait for /healthz, POST AdmissionReviews,
 * GET its other endpoints, read the certificate it serves, and stop it.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { freePort } from '../rig/servers.js';
import { CLI } from './proc.js';

export interface WebhookProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  /** Exit code once it has exited. */
  exited: Promise<number | null>;
}

export interface Reply {
  status: number;
  body: string;
}

export function call(port: number, ca: string | Buffer, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        headers: body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The SHA-256 fingerprint of the certificate the server presents. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

export async function startWebhookProcess(
  args: readonly string[],
  env: Record<string, string> = {},
  ca?: () => string | Buffer,
): Promise<WebhookProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'webhook', '--listen', `127.0.0.1:${port}`, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if (ca && (await call(port, ca(), 'GET', '/healthz')).status === 200) break;
      if (!ca && err.includes('listening on')) break;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  return { child, port, stderr: () => err, exited };
}
