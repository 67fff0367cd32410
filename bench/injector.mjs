// The in-cluster injector, both halves, next to HashiCorp's, in one run.
//
// 1. Webhook admission latency: `keyward webhook --self-signed` (the built CLI) answers POST /mutate
//    at a steady open-loop rate (default 500 requests/s, bench/lib/open-loop.mjs) over TLS on loopback
//    through 4 keep-alive connections, cycling through the injected AdmissionReview v1 fixtures
//    (test/fixtures/injector/*.review.json). Latency is counted client-side from each request's due
//    time, after a warm-up at the same rate; every answer must be 200 with the request's uid, allowed
//    and a JSON patch (0 errors). Also the webhook's RSS and CPU time. Next to it, when it can run
//    here (bench/lib/vault-k8s.mjs: the binary, root for a private mount namespace, openssl),
//    vault-k8s's `agent-inject` on the same reviews with the annotations translated to
//    vault.hashicorp.com/*.
// 2. Agent: `keyward agent` against `vault agent` of the rig's Vault build (1.16.1; OpenBao's
//    `bao agent` cannot be built here), both logging in to the same Vault dev server at auth/jwt with
//    the same signed token file and writing the same KV v2 secrets to files. Time to first file =
//    spawn until every file exists with its value (fs.watch plus a 5 ms poll); peak RSS from
//    /usr/bin/time %M in init mode (`--init` / `exit_after_auth = true`), and from /proc VmHWM 2 s
//    after the first render in sidecar mode. Runs alternate the two tools; medians and ratios.
// Prints a table, then one JSON line. Usage:
//   node bench/injector.mjs [agent-runs=7] [webhook-seconds=25] [rate=500]
//   (needs `npm run build` and `npm run rig`; KEYWARD_BENCH_VERBOSE=1 shows the programs' stderr)
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLoop, percentile } from './lib/open-loop.mjs';
import { countingProxy, freePort, median, need, rig, startVault } from './lib/rig.mjs';
import { startVaultK8s, VAULT_K8S_VERSION, vaultK8sMissing } from './lib/vault-k8s.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 7);
const SECONDS = Number(process.argv[3] ?? 25);
const RATE = Number(process.argv[4] ?? 500);
const WARMUP_S = 5;
const CONNECTIONS = 4;
const SECRETS = 10;
const SIDECAR_HOLD_MS = 2000;
const cli = join(root, 'dist', 'cli', 'launch.cjs');
const vaultBin = join(rig, 'bin', 'rig-vault');
need([
  [cli, 'npm run build'],
  [vaultBin, 'npm run rig'],
  ['/usr/bin/time', 'apt-get install time'],
]);
const verbose = process.env.KEYWARD_BENCH_VERBOSE ? 'inherit' : 'ignore';
const tmp = mkdtempSync(join(tmpdir(), 'keyward-bench-injector-'));
const cleanups = [];
process.on('exit', () => {
  for (const f of cleanups.reverse()) f();
  rmSync(tmp, { recursive: true, force: true });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
const load = loadavg().map((l) => Number(l.toFixed(2)));
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const vaultVersion = spawnSync(vaultBin, ['version'], { encoding: 'utf8' }).stdout.trim();
console.log(
  `commit ${commit}${dirty ? ' (+ uncommitted changes)' : ''}; node ${process.version}; ${cpus().length} CPUs; load ${load.join(' ')}`,
);

/** CPU time (ms), RSS and peak RSS (KB) of a running process, from /proc. */
function proc(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime and stime are fields 14 and 15
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS, rssKB: kb('VmRSS'), hwmKB: kb('VmHWM') };
}
const mb = (kb) => kb / 1024;

// ---------------------------------------------------------------------------------------------
// 1. webhook admission latency
// ---------------------------------------------------------------------------------------------
const fixtureDir = join(root, 'test', 'fixtures', 'injector');
const reviews = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.review.json'))
  .sort()
  .map((f) => ({ file: f, review: JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) }))
  .filter(({ review }) => review.request.object.metadata.annotations?.['keyward.io/inject'] === 'true')
  .map(({ file, review }) => ({ file, review: withServiceAccount(review) }));

/**
 * The pod as the API server hands it to webhooks: its ServiceAccount admission plugin has already
 * added the projected API token volume to the pod and its mount to every container (vault-k8s
 * refuses a pod without it). Added here to the fixtures that lack it, for both webhooks.
 */
function withServiceAccount(review) {
  const copy = structuredClone(review);
  const spec = copy.request.object.spec;
  if ((spec.volumes ?? []).some((v) => v.name.startsWith('kube-api-access-'))) return copy;
  const name = 'kube-api-access-bench';
  spec.serviceAccountName ??= 'default';
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
  ];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    c.volumeMounts = [
      ...(c.volumeMounts ?? []),
      { name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ];
  }
  return copy;
}

/** A review body and its check: the answer is for this uid, allowed, with a JSON patch. */
const body = (review) => {
  const uid = review.request.uid;
  return {
    buf: Buffer.from(JSON.stringify(review)),
    check: (answer) => {
      try {
        const r = JSON.parse(answer.toString()).response;
        return r?.uid === uid && r.allowed === true && r.patchType === 'JSONPatch' && r.patch?.length > 0;
      } catch {
        return false;
      }
    },
  };
};

/** The same pod for vault-k8s: keyward.io/* annotations as their vault.hashicorp.com/* counterparts. */
function vaultReview(review) {
  const kv2 = (path) => path.replace(/^secret\//, 'secret/data/');
  const out = { 'vault.hashicorp.com/agent-inject': 'true' };
  const simple = {
    role: 'role',
    'auth-path': 'auth-path',
    'auth-type': 'auth-type',
    'vault-addr': 'service',
    'pre-populate-only': 'agent-pre-populate-only',
    'init-first': 'agent-init-first',
    containers: 'agent-inject-containers',
    'requests-cpu': 'agent-requests-cpu',
    'limits-mem': 'agent-limits-mem',
  };
  for (const [key, value] of Object.entries(review.request.object.metadata.annotations)) {
    if (!key.startsWith('keyward.io/')) {
      out[key] = value;
      continue;
    }
    const name = key.slice('keyward.io/'.length);
    const [, kind, secret] = /^(secret|template|file|perms)-(.+)$/.exec(name) ?? [];
    if (simple[name]) out[`vault.hashicorp.com/${simple[name]}`] = value;
    else if (kind === 'file') out[`vault.hashicorp.com/agent-inject-file-${secret}`] = value;
    else if (kind === 'perms') out[`vault.hashicorp.com/agent-inject-perms-${secret}`] = value;
    else if (kind) {
      const refs = [...value.matchAll(/<vault:([^#>]+)(?:#([^>]+))?>/g)];
      out[`vault.hashicorp.com/agent-inject-secret-${secret}`] = kv2(refs[0]?.[1] ?? value);
      if (refs.length > 0)
        out[`vault.hashicorp.com/agent-inject-template-${secret}`] = value.replace(
          /<vault:([^#>]+)(?:#([^>]+))?>/g,
          (_, path, field) =>
            `{{ with secret "${kv2(path)}" }}{{ ${field ? `.Data.data.${field}` : '.Data.data | toJSON'} }}{{ end }}`,
        );
    }
  }
  const copy = structuredClone(review);
  copy.request.object.metadata.annotations = out;
  return copy;
}

function healthy(port, path, ca) {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path, ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

async function startKeywardWebhook() {
  const port = await freePort();
  const caFile = join(tmp, 'webhook-ca.pem');
  const child = spawn(
    process.execPath,
    [
      cli,
      'webhook',
      '--self-signed',
      '--ca-out',
      caFile,
      '--listen',
      `127.0.0.1:${port}`,
      '--vault-addr',
      'http://vault:8200',
    ],
    { stdio: ['ignore', 'ignore', verbose] },
  );
  for (let i = 0; ; i++) {
    if (existsSync(caFile) && (await healthy(port, '/healthz', readFileSync(caFile)))) break;
    if (i > 300 || child.exitCode !== null) {
      child.kill();
      throw new Error('bench: keyward webhook did not start');
    }
    await sleep(50);
  }
  return { port, pid: child.pid, ca: readFileSync(caFile), stop: () => child.kill() };
}

const lat = (sorted) => ({
  p50: percentile(sorted, 50),
  p90: percentile(sorted, 90),
  p99: percentile(sorted, 99),
  max: sorted[sorted.length - 1],
});

async function loadWebhook(name, start, bodies) {
  const w = await start();
  cleanups.push(w.stop);
  // each body once by itself: a wrong answer stops the bench before any timing
  for (const b of bodies) {
    const one = await openLoop({ port: w.port, ca: w.ca, bodies: [b], rate: 10, seconds: 0.1, connections: 1 });
    if (one.errors > 0) throw new Error(`bench: ${name} answered a review wrongly: ${one.failures.join('; ')}`);
  }
  const idle = proc(w.pid);
  const common = { port: w.port, ca: w.ca, bodies, rate: RATE, connections: CONNECTIONS };
  const warm = await openLoop({ ...common, seconds: WARMUP_S });
  const before = proc(w.pid);
  const r = await openLoop({ ...common, seconds: SECONDS });
  const after = proc(w.pid);
  w.stop();
  return {
    requests: r.total,
    errors: r.errors,
    warmupErrors: warm.errors,
    failures: [...warm.failures, ...r.failures],
    achievedRate: r.total / (r.wallMs / 1000),
    latency: lat(r.latency),
    service: lat(r.service),
    clientLag: lat(r.lag),
    idleRssMB: mb(idle.rssKB),
    rssMB: mb(after.rssKB),
    peakRssMB: mb(after.hwmKB),
    cpuMsPerRequest: (after.cpuMs - before.cpuMs) / r.total,
  };
}

const webhook = {};
webhook.keyward = await loadWebhook(
  'keyward webhook',
  startKeywardWebhook,
  reviews.map(({ review }) => body(review)),
);
const peerMissing = vaultK8sMissing();
if (!peerMissing) {
  webhook.vaultK8s = await loadWebhook(
    'vault-k8s',
    () => startVaultK8s(join(tmp, 'vault-k8s'), 'http://vault:8200'),
    reviews.map(({ review }) => body(vaultReview(review))),
  );
}

const ms = (v) => `${v.toFixed(2)} ms`;
console.log(
  `\nwebhook: POST /mutate, ${RATE} requests/s open loop for ${SECONDS} s after a ${WARMUP_S} s warm-up, TLS on loopback, ${CONNECTIONS} keep-alive connections; reviews: ${reviews.map((r) => r.file.replace('.review.json', '')).join(', ')}`,
);
console.log(
  '  latency = answer complete - due time (client side); service = from the actual send; client lag = actual send - due time',
);
for (const [name, w] of Object.entries(webhook)) {
  const l = w.latency;
  console.log(
    `  ${name.padEnd(9)} p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  errors ${w.errors}/${w.requests} (warm-up ${w.warmupErrors})  ${w.achievedRate.toFixed(0)} req/s`,
  );
  console.log(
    `            service p50 ${ms(w.service.p50)} p99 ${ms(w.service.p99)}; client lag p50 ${ms(w.clientLag.p50)} p99 ${ms(w.clientLag.p99)}; RSS idle ${w.idleRssMB.toFixed(1)} MB, after ${w.rssMB.toFixed(1)} MB, peak ${w.peakRssMB.toFixed(1)} MB; CPU ${w.cpuMsPerRequest.toFixed(3)} ms/request`,
  );
  if (w.failures.length > 0) console.log(`            first failures: ${w.failures.join('; ')}`);
}
const k = webhook.keyward;
console.log(
  `  goal p99 <= 5 ms with 0 errors: ${k.latency.p99 <= 5 && k.errors === 0 && k.warmupErrors === 0 ? 'met' : 'NOT met'}`,
);
if (webhook.vaultK8s) {
  const v = webhook.vaultK8s;
  const r = (key) => (k.latency[key] / v.latency[key]).toFixed(2);
  console.log(
    `  ratio keyward / vault-k8s ${VAULT_K8S_VERSION}: p50 ${r('p50')}x, p90 ${r('p90')}x, p99 ${r('p99')}x; RSS ${(k.rssMB / v.rssMB).toFixed(2)}x; CPU per request ${(k.cpuMsPerRequest / v.cpuMsPerRequest).toFixed(2)}x`,
  );
  console.log(
    '  vault-k8s: `agent-inject` with AGENT_INJECT_TLS_CERT_FILE/_KEY_FILE (P-256, openssl), in a private mount namespace with a stand-in API server for its start-up list/watch calls (bench/lib/vault-k8s.mjs); same reviews, annotations translated to vault.hashicorp.com/*; both over HTTP/1.1',
  );
} else console.log(`  vault-k8s (peer): not run: ${peerMissing}`);

// ---------------------------------------------------------------------------------------------
// 2. agents: keyward agent and vault agent, same Vault, same jwt login, same secrets
// ---------------------------------------------------------------------------------------------
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
{
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
}
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
const home = join(tmp, 'home');
mkdirSync(home);

let outs = 0;
/** The command, arguments and environment of one agent run writing into `dir`. */
function agentCommand(tool, mode, addr, dir, port) {
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
async function agentRun(tool, mode, addr = vault.addr) {
  const dir = join(tmp, `out-${outs++}`);
  mkdirSync(dir);
  const port = mode === 'sidecar' && tool === 'keyward' ? await freePort() : 0;
  const [command, args, env] = agentCommand(tool, mode, addr, dir, port);
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

// one checked run of each through the counting proxy (not timed): Vault requests per render
const TOOLS = ['keyward', 'vault'];
const MODES = ['init', 'sidecar'];
const traffic = {};
for (const tool of TOOLS) {
  for (const mode of MODES) {
    const before = { ...proxy.counts };
    await agentRun(tool, mode, proxy.addr);
    const d = (key) => (proxy.counts[key] ?? 0) - (before[key] ?? 0);
    traffic[`${tool}/${mode}`] = { logins: d('logins'), reads: d('reads'), mounts: d('mounts'), all: d('all') };
  }
}
/** The floor any Node.js program pays: `node -e 0` from spawn to exit, and its peak RSS. */
async function nodeFloor() {
  const timeFile = join(tmp, 'time.out');
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, '-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return { exit: performance.now() - started, peakKB: Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) };
}
const agents = Object.fromEntries(TOOLS.map((t) => [t, { init: [], sidecar: [] }]));
const floor = [];
for (const mode of MODES) {
  for (let i = 0; i < runs; i++) {
    for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse()) agents[tool][mode].push(await agentRun(tool, mode));
    if (mode === 'init') floor.push(await nodeFloor());
  }
}
const nodeExitMs = median(floor.map((r) => r.exit));
const nodePeakRssMB = mb(median(floor.map((r) => r.peakKB)));
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
console.log(
  `\nagent: ${SECRETS} KV v2 secrets to ${SECRETS} files, jwt login at auth/jwt, Vault dev server ${vaultVersion}; medians of ${runs} alternating runs per mode`,
);
console.log(`  vault = \`vault agent\` of the same build (${vaultVersion}); OpenBao's bao agent cannot be built here`);
const rows = [
  ['init: time to all files', 'initFirstMs', 'ms'],
  ['init: process exit', 'initExitMs', 'ms'],
  ['init: peak RSS (%M)', 'initPeakRssMB', 'MB'],
  ['sidecar: time to all files', 'sidecarFirstMs', 'ms'],
  [`sidecar: VmHWM ${SIDECAR_HOLD_MS / 1000} s after`, 'sidecarPeakRssMB', 'MB'],
  ['sidecar: max VmRSS sampled', 'sidecarMaxRssMB', 'MB'],
];
console.log(`  ${''.padEnd(30)} ${'keyward'.padStart(10)} ${'vault'.padStart(10)}  ratio`);
for (const [label, key, unit] of rows) {
  const kv = summary.keyward[key];
  const vv = summary.vault[key];
  console.log(
    `  ${label.padEnd(30)} ${`${kv.toFixed(1)} ${unit}`.padStart(10)} ${`${vv.toFixed(1)} ${unit}`.padStart(10)}  ${(kv / vv).toFixed(2)}x`,
  );
}
console.log(
  `  floor: \`node -e 0\` (same alternation, init runs) exits in ${nodeExitMs.toFixed(1)} ms with a peak RSS of ${nodePeakRssMB.toFixed(1)} MB`,
);
for (const [key, t] of Object.entries(traffic))
  console.log(
    `  Vault requests, ${key.padEnd(15)} logins ${t.logins}, secret reads ${t.reads}, mount lookups ${t.mounts}, all ${t.all}`,
  );
const s = summary.keyward;
const goal = (ok) => (ok ? 'met' : 'NOT met');
console.log(
  `  goals: peak RSS <= 50 MB: ${goal(Math.max(s.initPeakRssMB, s.sidecarPeakRssMB) <= 50)} (init ${s.initPeakRssMB.toFixed(1)}, sidecar ${s.sidecarPeakRssMB.toFixed(1)} MB); first file <= 150 ms: ${goal(s.initFirstMs <= 150)} (init ${s.initFirstMs.toFixed(1)} ms, sidecar ${s.sidecarFirstMs.toFixed(1)} ms)`,
);

const round = (o) => JSON.parse(JSON.stringify(o, (_, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v)));
console.log(
  JSON.stringify(
    round({
      bench: 'injector',
      date: new Date().toISOString(),
      commit,
      dirty,
      node: process.version,
      cpus: cpus().length,
      load,
      webhook: {
        rate: RATE,
        seconds: SECONDS,
        warmupSeconds: WARMUP_S,
        connections: CONNECTIONS,
        reviews: reviews.map((r) => r.file),
        keyward: { ...webhook.keyward, failures: undefined },
        vaultK8s: webhook.vaultK8s ? { version: VAULT_K8S_VERSION, ...webhook.vaultK8s, failures: undefined } : null,
        vaultK8sMissing: peerMissing || undefined,
      },
      agent: {
        secrets: SECRETS,
        runs,
        vaultVersion,
        traffic,
        ...summary,
        nodeFloor: { exitMs: nodeExitMs, peakRssMB: nodePeakRssMB },
      },
    }),
  ),
);
process.exit(0);
