// Shared by the benchmarks: the rig's Vault API dev server on a free loopback port, a counting
// loopback proxy in front of it, medians, timed runs, and a running process's CPU time and memory.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const rig = process.env.KEYWARD_RIG_DIR ?? join(homedir(), '.cache', 'keyward-rig');

/** Fails with the command to run when one of `files` ([path, hint]) is missing. */
export function need(files) {
  for (const [file, hint] of files) if (!existsSync(file)) throw new Error(`bench: ${file} missing; run ${hint}`);
}

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts `rig-vault server -dev` with HOME in `home`; returns its address, root token and an admin POST. */
export async function startVault(home) {
  const port = await freePort();
  const token = `bench-${randomUUID()}`;
  const addr = `http://127.0.0.1:${port}`;
  const child = spawn(
    join(rig, 'bin', 'rig-vault'),
    ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`],
    { env: { ...process.env, HOME: home, SKIP_SETCAP: '1' }, stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${addr}/v1/sys/health`)).ok) break;
    } catch {}
    if (i > 300) throw new Error('bench: Vault did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = async (path, body, method = 'POST') => {
    const res = await fetch(`${addr}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`bench: vault ${path}: HTTP ${res.status}`);
    const text = await res.text();
    return text ? JSON.parse(text) : {};
  };
  return { port, addr, token, admin, stop: () => child.kill() };
}

/** A proxy to `port` that counts requests under each label `classify(url)` returns (and `all`). */
export async function countingProxy(port, classify) {
  const counts = { all: 0 };
  const server = createServer((req, res) => {
    counts.all++;
    const label = classify(req.url ?? '');
    if (label) counts[label] = (counts[label] ?? 0) + 1;
    const upstream = request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { addr: `http://127.0.0.1:${server.address().port}`, counts, close: () => server.close() };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs a command to completion; returns exit code, stdout and wall time in ms. */
export function timed(command, args, options) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }),
    );
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const mb = (kb) => kb / 1024;

let tickMs;
/** CPU time (ms), RSS and peak RSS (KB) of a running process, from /proc. */
export function proc(pid) {
  tickMs ??= 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime and stime are fields 14 and 15
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * tickMs, rssKB: kb('VmRSS'), hwmKB: kb('VmHWM') };
}
