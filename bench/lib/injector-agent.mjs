// The agent half of bench/injector.mjs: `keyward agent` against `vault agent` of the rig's Vault build,
// both logging in to the same Vault dev server at auth/jwt with the same signed token file and writing
// the same KV v2 secrets to files, in init mode (`--init` / `exit_after_auth = true`) and sidecar mode.
// Time to first file, peak RSS, Vault requests per render, and `node -e 0` as the floor.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countingProxy, freePort, mb, median, proc, sleep, startVault } from './rig.mjs';

export const SECRETS = 10;
export const SIDECAR_HOLD_MS = 2000;
const TOOLS = ['keyward', 'vault'];
const MODES = ['init', 'sidecar'];

/**
 * The rig's Vault dev server with auth/jwt trusting a key made for the run, a role and policy reading
 * `secret/data/bench/*`, SECRETS KV v2 secrets, a service-account-style token file signed by that key,
 * and a counting proxy in front of it.
 */
async function agentVault(tmp, cleanups) {
  const vault = await startVault(tmp);
  cleanups.push(vault.stop);
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await vault.admin('sys/auth/jwt', { type: 'jwt' });
  await vault.admin('auth/jwt/config', {
    jwt_validation_pubkeys: [keys.publicKey.export({ type: 'spki', format: 'pem' })],
  });
  await vault.admin('sys/policies/acl/bench', {
    policy:
      'path "secret/data/bench/*" { capabilities = ["read"] }\npath "sys/internal/ui/mounts/*" { capabilities = ["read"] }',
  });
  await vault.admin('auth/jwt/role/bench', {
    role_type: 'jwt',
    user_claim: 'sub',
    bound_audiences: ['vault'],
    token_policies: ['bench'],
    token_ttl: '1h',
  });
  const values = Array.from({ length: SECRETS }, (_, i) => `pw-${i}-${randomBytes(12).toString('base64url')}`);
  for (let i = 0; i < SECRETS; i++) await vault.admin(`secret/data/bench/s${i}`, { data: { password: values[i] } });
  // a service-account-style token, signed ES256 by the key auth/jwt trusts
  const jwtFile = join(tmp, 'token');
  const now = Math.floor(Date.now() / 1000);
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({
    iss: 'https://kubernetes.default.svc.cluster.local',
    sub: 'system:serviceaccount:bench:app',
    aud: ['vault'],
    iat: now,
    nbf: now,
    exp: now + 3 * 3600,
  })}`;
  const signature = sign('sha256', Buffer.from(signed), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
  writeFileSync(jwtFile, `${signed}.${signature.toString('base64url')}`);
  const proxy = await countingProxy(vault.port, (url) =>
    url.startsWith('/v1/auth/jwt/login')
      ? 'logins'
      : url.startsWith('/v1/secret/data/bench/')
        ? 'reads'
        : url.startsWith('/v1/sys/internal/ui/mounts')
          ? 'mounts'
          : '',
  );
  cleanups.push(proxy.close);
  return { vault, values, jwtFile, proxy };
}

let outs = 0;
/** The command, arguments and environment of one agent run writing into `dir`. */
function agentCommand(ctx, tool, mode, addr, dir, port) {
  const { cli, vaultBin, tmp, home, jwtFile, values } = ctx;
  if (tool === 'keyward') {
    const config = {
      settings: {
        VAULT_ADDR: addr,
        KEYWARD_VAULT_AUTH: 'jwt',
        VAULT_ROLE: 'bench',
        KEYWARD_VAULT_AUTH_MOUNT: 'auth/jwt',
        KEYWARD_VAULT_JWT_FILE: jwtFile,
        KEYWARD_VAULT_TOKEN_CACHE: 'off',
      },
      dir,
      interval: 300,
      secrets: values.map((_, i) => ({
        name: `s${i}`,
        source: `<vault:secret/bench/s${i}#password>`,
        file: `s${i}`,
        mode: 0o444,
      })),
    };
    return [
      process.execPath,
      [cli, 'agent', ...(mode === 'init' ? ['--init'] : ['--listen', `127.0.0.1:${port}`])],
      { PATH: process.env.PATH, HOME: home, KEYWARD_AGENT_CONFIG: JSON.stringify(config) },
    ];
  }
  // vault agent: the same login (jwt at auth/jwt, the token file kept: in a pod it is read-only),
  // one template per secret, each written 0444; no cache, no sink, no listener
  const templates = values.map(
    (_, i) =>
      `template {\n  contents = "{{ with secret \\"secret/data/bench/s${i}\\" }}{{ .Data.data.password }}{{ end }}"\n  destination = "${join(dir, `s${i}`)}"\n  perms = "0444"\n}\n`,
  );
  const hcl = join(tmp, `agent-${outs}.hcl`);
  writeFileSync(
    hcl,
    `vault {\n  address = "${addr}"\n}\n${mode === 'init' ? 'exit_after_auth = true\n' : ''}auto_auth {\n  method "jwt" {\n    mount_path = "auth/jwt"\n    config = {\n      path = "${jwtFile}"\n      role = "bench"\n      remove_jwt_after_reading = false\n    }\n  }\n}\n${templates.join('')}`,
  );
  return [vaultBin, ['agent', `-config=${hcl}`], { PATH: process.env.PATH, HOME: home }];
}

/**
 * One agent run: spawn, wait until every file holds its value; in init mode wait for the exit and
 * take peak RSS from /usr/bin/time, in sidecar mode keep it running SIDECAR_HOLD_MS longer, sampling
 * VmRSS every 10 ms, then read VmHWM and stop it.
 */
async function agentRun(ctx, tool, mode, addr = ctx.vault.addr) {
  const { tmp, values, verbose } = ctx;
  const dir = join(tmp, `out-${outs++}`);
  mkdirSync(dir);
  const port = mode === 'sidecar' && tool === 'keyward' ? await freePort() : 0;
  const [command, args, env] = agentCommand(ctx, tool, mode, addr, dir, port);
  const timeFile = join(tmp, 'time.out');
  const [cmd, argv] =
    mode === 'init' ? ['/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', verbose] });
  let first;
  let resolveFirst;
  const firstSeen = new Promise((r) => {
    resolveFirst = r;
  });
  const check = () => {
    if (first !== undefined) return;
    for (let i = 0; i < SECRETS; i++) {
      try {
        if (readFileSync(join(dir, `s${i}`), 'utf8') !== values[i]) return;
      } catch {
        return;
      }
    }
    first = performance.now() - started;
    resolveFirst();
  };
  const watcher = watch(dir, check);
  const poll = setInterval(check, 5);
  let exitMs;
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exitMs = performance.now() - started;
      check();
      resolveFirst();
      resolve(code ?? signal);
    }),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let result;
  if (mode === 'init') {
    const code = await exited;
    if (code !== 0 || first === undefined)
      throw new Error(`bench: ${tool} init exited ${code} with ${first === undefined ? 'files missing' : 'files'}`);
    result = { first, exit: exitMs, peakKB: Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) };
  } else {
    await firstSeen;
    if (first === undefined) throw new Error(`bench: ${tool} sidecar ended before rendering (${await exited})`);
    let maxRss = 0;
    const until = performance.now() + SIDECAR_HOLD_MS;
    while (performance.now() < until) {
      maxRss = Math.max(maxRss, proc(child.pid).rssKB);
      await sleep(10);
    }
    const { hwmKB } = proc(child.pid);
    child.kill('SIGTERM');
    await exited;
    result = { first, peakKB: hwmKB, maxRssKB: maxRss };
  }
  clearTimeout(timer);
  clearInterval(poll);
  watcher.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The floor any Node.js program pays: `node -e 0` from spawn to exit, and its peak RSS. */
async function nodeFloor(tmp) {
  const timeFile = join(tmp, 'time.out');
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, '-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return { exit: performance.now() - started, peakKB: Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) };
}

/**
 * One checked, untimed run of each tool and mode through the counting proxy (Vault requests per
 * render), then `runs` runs per mode alternating the tools, with `node -e 0` after each init pair.
 * Returns the traffic, the medians per tool and the floor. `ctx`: { cli, vaultBin, tmp, verbose,
 * runs, cleanups }.
 */
export async function benchAgents(ctx) {
  const { vault, values, jwtFile, proxy } = await agentVault(ctx.tmp, ctx.cleanups);
  const home = join(ctx.tmp, 'home');
  mkdirSync(home);
  const run = { ...ctx, vault, values, jwtFile, home };
  const traffic = {};
  for (const tool of TOOLS) {
    for (const mode of MODES) {
      const before = { ...proxy.counts };
      await agentRun(run, tool, mode, proxy.addr);
      const d = (key) => (proxy.counts[key] ?? 0) - (before[key] ?? 0);
      traffic[`${tool}/${mode}`] = { logins: d('logins'), reads: d('reads'), mounts: d('mounts'), all: d('all') };
    }
  }
  const agents = Object.fromEntries(TOOLS.map((t) => [t, { init: [], sidecar: [] }]));
  const floor = [];
  for (const mode of MODES) {
    for (let i = 0; i < ctx.runs; i++) {
      for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse())
        agents[tool][mode].push(await agentRun(run, tool, mode));
      if (mode === 'init') floor.push(await nodeFloor(ctx.tmp));
    }
  }
  const med = (tool, mode, key) => median(agents[tool][mode].map((r) => r[key]));
  const summary = Object.fromEntries(
    TOOLS.map((t) => [
      t,
      {
        initFirstMs: med(t, 'init', 'first'),
        initExitMs: med(t, 'init', 'exit'),
        initPeakRssMB: mb(med(t, 'init', 'peakKB')),
        sidecarFirstMs: med(t, 'sidecar', 'first'),
        sidecarPeakRssMB: mb(med(t, 'sidecar', 'peakKB')),
        sidecarMaxRssMB: mb(med(t, 'sidecar', 'maxRssKB')),
      },
    ]),
  );
  const nodeFloorSummary = {
    exitMs: median(floor.map((r) => r.exit)),
    peakRssMB: mb(median(floor.map((r) => r.peakKB))),
  };
  return { traffic, summary, nodeFloor: nodeFloorSummary };
}
