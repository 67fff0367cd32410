/**
 * The rig's throwaway PostgreSQL server (test/helpers/postgres.ts): it starts on a
 * loopback port, lets its superuser in with the password only, runs SQL (a query,
 * a new login role that can itself connect), turns away a wrong password, and stops
 * leaving its port closed.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Postgres, pgBin, startPostgres } from '../helpers/postgres.js';
import { run, tempDir } from '../helpers/proc.js';

const work = tempDir('keyward-pg-rig-');
let pg: Postgres | undefined;
let startMs = 0;

function psql(user: string, password: string, sql: string) {
  if (!pg) throw new Error('postgres not started');
  return run(
    pgBin('psql'),
    [
      '-X',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(pg.port),
      '-U',
      user,
      '-d',
      'postgres',
      '-c',
      sql,
    ],
    { env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }, timeoutMs: 20_000 },
  );
}

beforeAll(async () => {
  const started = performance.now();
  pg = await startPostgres(work);
  startMs = performance.now() - started;
});

afterAll(async () => {
  await pg?.stop();
});

describe('test rig: throwaway PostgreSQL', () => {
  it('starts on a loopback port with a password-protected superuser', async () => {
    if (!pg) throw new Error('postgres not started');
    console.log(`postgres ready on 127.0.0.1:${pg.port} in ${Math.round(startMs)} ms`);
    expect(pg.url).toBe(`postgresql://${pg.user}:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/postgres`);
    const one = await psql(pg.user, pg.password, 'select 1');
    expect(one.stderr).toBe('');
    expect(one.stdout.trim()).toBe('1');
    const sup = await psql(pg.user, pg.password, `select rolsuper from pg_roles where rolname = current_user`);
    expect(sup.stdout.trim()).toBe('t');
  });

  it('creates a login role that can connect with its own password', async () => {
    if (!pg) throw new Error('postgres not started');
    const made = await psql(pg.user, pg.password, `create role rig_probe login password 'probe-pw'`);
    expect(made.code, made.stderr).toBe(0);
    const who = await psql('rig_probe', 'probe-pw', 'select current_user');
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout.trim()).toBe('rig_probe');
  });

  it('turns away a wrong password', async () => {
    if (!pg) throw new Error('postgres not started');
    const denied = await psql(pg.user, 'not-the-password', 'select 1');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/password authentication failed/);
  });

  it('stops and closes its port', async () => {
    if (!pg) throw new Error('postgres not started');
    const { port } = pg;
    await pg.stop();
    pg = undefined;
    const probe = await run(pgBin('pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { timeoutMs: 5_000 });
    expect(probe.code).not.toBe(0);
  });
});
