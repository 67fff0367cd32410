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
// The halves live in bench/lib/injector-webhook.mjs and bench/lib/injector-agent.mjs; this file sets
// up, runs them in turn, prints a table, then one JSON line. Usage:
//   node bench/injector.mjs [agent-runs=7] [webhook-seconds=25] [rate=500]
//   (needs `npm run build` and `npm run rig`; KEYWARD_BENCH_VERBOSE=1 shows the programs' stderr)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAgents, SECRETS, SIDECAR_HOLD_MS } from './lib/injector-agent.mjs';
import { benchWebhooks, CONNECTIONS, injectedReviews, WARMUP_S } from './lib/injector-webhook.mjs';
import { need, rig } from './lib/rig.mjs';
import { VAULT_K8S_VERSION } from './lib/vault-k8s.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 7);
const SECONDS = Number(process.argv[3] ?? 25);
const RATE = Number(process.argv[4] ?? 500);
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
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
const load = loadavg().map((l) => Number(l.toFixed(2)));
const vaultVersion = spawnSync(vaultBin, ['version'], { encoding: 'utf8' }).stdout.trim();
console.log(
  `commit ${commit}${dirty ? ' (+ uncommitted changes)' : ''}; node ${process.version}; ${cpus().length} CPUs; load ${load.join(' ')}`,
);

// ---------------------------------------------------------------------------------------------
// 1. webhook admission latency
// ---------------------------------------------------------------------------------------------
const reviews = injectedReviews(root);
const { webhook, peerMissing } = await benchWebhooks(reviews, {
  cli,
  tmp,
  verbose,
  rate: RATE,
  seconds: SECONDS,
  cleanups,
});

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
const { traffic, summary, nodeFloor } = await benchAgents({ cli, vaultBin, tmp, verbose, runs, cleanups });
const nodeExitMs = nodeFloor.exitMs;
const nodePeakRssMB = nodeFloor.peakRssMB;
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
