// The webhook half of bench/injector.mjs: `keyward webhook --self-signed` (the built CLI) and, when it
// can run here, vault-k8s's `agent-inject` (bench/lib/vault-k8s.mjs), each loaded at a steady open-loop
// rate (bench/lib/open-loop.mjs) over TLS on loopback with the injected AdmissionReview v1 fixtures
// (test/fixtures/injector/*.review.json); vault-k8s gets the same pods with the annotations translated
// to vault.hashicorp.com/*. Measures latency from each request's due time, errors, RSS and CPU time.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { openLoop, percentile } from './open-loop.mjs';
import { freePort, mb, proc, sleep } from './rig.mjs';
import { startVaultK8s, vaultK8sMissing } from './vault-k8s.mjs';

export const WARMUP_S = 5;
export const CONNECTIONS = 4;

/** The fixtures with `keyward.io/inject: "true"`, each as the API server hands it to webhooks. */
export function injectedReviews(root) {
  const fixtureDir = join(root, 'test', 'fixtures', 'injector');
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.review.json'))
    .sort()
    .map((f) => ({ file: f, review: JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) }))
    .filter(({ review }) => review.request.object.metadata.annotations?.['keyward.io/inject'] === 'true')
    .map(({ file, review }) => ({ file, review: withServiceAccount(review) }));
}

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

/** Starts `keyward webhook --self-signed` on a free loopback port; returns its port, pid, CA and stop(). */
async function startKeywardWebhook({ cli, tmp, verbose }) {
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

/**
 * Starts a webhook, checks each body's answer once, then a warm-up and the measured open loop at
 * `rate` for `seconds`; the webhook's RSS before and after, and its CPU time over the measured part.
 */
async function loadWebhook(name, start, bodies, { rate, seconds, cleanups }) {
  const w = await start();
  cleanups.push(w.stop);
  // each body once by itself: a wrong answer stops the bench before any timing
  for (const b of bodies) {
    const one = await openLoop({ port: w.port, ca: w.ca, bodies: [b], rate: 10, seconds: 0.1, connections: 1 });
    if (one.errors > 0) throw new Error(`bench: ${name} answered a review wrongly: ${one.failures.join('; ')}`);
  }
  const idle = proc(w.pid);
  const common = { port: w.port, ca: w.ca, bodies, rate, connections: CONNECTIONS };
  const warm = await openLoop({ ...common, seconds: WARMUP_S });
  const before = proc(w.pid);
  const r = await openLoop({ ...common, seconds });
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

/**
 * keyward's webhook, then vault-k8s's when it can run here (`peerMissing` says why not). `ctx`:
 * { cli, tmp, verbose, rate, seconds, cleanups }.
 */
export async function benchWebhooks(reviews, ctx) {
  const webhook = {};
  webhook.keyward = await loadWebhook(
    'keyward webhook',
    () => startKeywardWebhook(ctx),
    reviews.map(({ review }) => body(review)),
    ctx,
  );
  const peerMissing = vaultK8sMissing();
  if (!peerMissing) {
    webhook.vaultK8s = await loadWebhook(
      'vault-k8s',
      () => startVaultK8s(join(ctx.tmp, 'vault-k8s'), 'http://vault:8200'),
      reviews.map(({ review }) => body(vaultReview(review))),
      ctx,
    );
  }
  return { webhook, peerMissing };
}
