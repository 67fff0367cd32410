/**
 * A real, throwaway PostgreSQL server for tests (the peer of Vault's `database`
 * secrets engine): a fresh cluster from `initdb` in its own temp folder, listening
 * on a free port of 127.0.0.1 only, with one password-protected superuser and
 * scram-sha-256 as the only way in. PostgreSQL refuses to run as root, so when the
 * tests are root the cluster is created and run as `nobody` (through `setpriv`).
 * The server's log goes to `postgres.log` in the caller's work folder.
 */

import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, startServer, stopServer, waitUntilReady } from '../rig/servers.js';
import { run } from './proc.js';

export interface Postgres {
  port: number;
  /** postgresql://USER:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  /** The superuser, reachable only with its password over TCP on 127.0.0.1. */
  user: string;
  password: string;
  /** Fast shutdown, then the cluster's folder is removed. */
  stop(): Promise<void>;
}

/** The unprivileged account the server runs as when the tests are root. */
const NOBODY = 65534;

/** A PostgreSQL program: the newest /usr/lib/postgresql/N/bin first, then PATH. */
export function pgBin(name: string): string {
  const lib = '/usr/lib/postgresql';
  const versions = existsSync(lib)
    ? readdirSync(lib)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const dirs = [...versions.map((v) => join(lib, v, 'bin')), ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (dir && existsSync(path)) return path;
  }
  throw new Error(`test rig: PostgreSQL's ${name} not found (run test/rig/install.sh to install postgresql)`);
}

/** Runs `program args` as the server's account: `nobody` when we are root, else ourselves. */
function asServerUser(program: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [program, args];
  return [
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all', '--', program, ...args],
  ];
}

export async function startPostgres(work: string): Promise<Postgres> {
  // Its own folder under the system temp folder (which every user can reach), owned by the server's account.
  const base = mkdtempSync(join(tmpdir(), 'keyward-pg-'));
  if (process.getuid?.() === 0) chownSync(base, NOBODY, NOBODY);
  const data = join(base, 'data');
  const user = 'keyward_admin';
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (process.getuid?.() === 0) chownSync(pwfile, NOBODY, NOBODY);
  const env = { HOME: base, LC_ALL: 'C', TZ: 'UTC' };

  const [initCmd, initArgs] = asServerUser(pgBin('initdb'), [
    `--pgdata=${data}`,
    `--username=${user}`,
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const init = await run(initCmd, initArgs, { env, cwd: base, timeoutMs: 60_000 });
  rmSync(pwfile, { force: true });
  if (init.code !== 0) {
    rmSync(base, { recursive: true, force: true });
    throw new Error(`test rig: initdb failed (${init.code}):\n${init.stdout}\n${init.stderr}`);
  }
  // Password over TCP from 127.0.0.1 is the only way in; the socket in the folder accepts nobody.
  writeFileSync(join(data, 'pg_hba.conf'), 'host all all 127.0.0.1/32 scram-sha-256\n');

  const port = await freePort();
  const [cmd, args] = asServerUser(pgBin('postgres'), [
    '-D',
    data,
    '-c',
    `port=${port}`,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${base}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=50',
    '-c',
    'shared_buffers=16MB',
  ]);
  const server = startServer('postgres', cmd, args, env, join(work, 'postgres.log'));
  const stop = async () => {
    // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients (Vault's pool) to leave.
    if (server.child.exitCode === null) server.child.kill('SIGINT');
    await stopServer(server);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    const isReady = pgBin('pg_isready');
    await waitUntilReady(
      server,
      async () => (await run(isReady, ['-q', '-h', '127.0.0.1', '-p', String(port)], { timeoutMs: 5_000 })).code === 0,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { port, url, user, password, stop };
}
