// HashiCorp's injector webhook (vault-k8s `agent-inject`) on loopback, for bench/injector.mjs. It will
// only start with an in-cluster Kubernetes client: it reads the service-account token and CA from
// /var/run/secrets/kubernetes.io/serviceaccount, lists MutatingWebhookConfigurations, and watches them
// for its CA bundle. Here it gets a private mount namespace (`unshare -m`, root only) with a tmpfs on
// /run holding a dummy token and the CA of a stand-in API server, which answers those list and watch
// calls with an empty list; the webhook itself serves the certificate files it is given
// (AGENT_INJECT_TLS_CERT_FILE / _KEY_FILE) and makes no API call while admitting a pod.
// Build the binary with Go from the module proxy (`go install` of the module path is refused by the
// proxy's version list, so build it from the downloaded module):
//   go mod download -json github.com/hashicorp/vault-k8s@v1.6.2   (prints the module's Dir)
//   cd <Dir copied somewhere writable> && go build -o ~/.cache/keyward-rig/bin/vault-k8s .
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, get } from 'node:https';
import { join } from 'node:path';
import { freePort, rig } from './rig.mjs';

export const VAULT_K8S_VERSION = 'v1.6.2';
export const vaultK8sBin = process.env.KEYWARD_BENCH_VAULT_K8S ?? join(rig, 'bin', 'vault-k8s');

/** Why the peer cannot run here, or '' when it can. */
export function vaultK8sMissing() {
  if (!existsSync(vaultK8sBin)) return `${vaultK8sBin} missing (see bench/lib/vault-k8s.mjs for how to build it)`;
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl missing';
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return '`unshare -m` not permitted (needs root)';
  return '';
}

/** A self-signed P-256 certificate for 127.0.0.1 (the same key type as `keyward webhook --self-signed`). */
export function selfSignedPair(dir, name) {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  if (r.status !== 0) throw new Error(`bench: openssl could not make a certificate for ${name}`);
  return { cert, key };
}

/** The stand-in API server: an empty MutatingWebhookConfigurationList, and watches that stay quiet. */
async function standInApi(pair) {
  const watches = new Set();
  const server = createServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (url.pathname === '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations') {
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        watches.add(res);
        res.on('close', () => watches.delete(res));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'MutatingWebhookConfigurationList',
          apiVersion: 'admissionregistration.k8s.io/v1',
          metadata: { resourceVersion: '1' },
          items: [],
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => {
      for (const res of watches) res.destroy();
      server.close();
    },
  };
}

/** Starts `vault-k8s agent-inject` on a free loopback port; returns its port, pid, CA file and stop(). */
export async function startVaultK8s(dir, vaultAddr) {
  const serving = selfSignedPair(dir, 'vault-k8s');
  const api = await standInApi(selfSignedPair(dir, 'kube-api'));
  const sa = join(dir, 'serviceaccount');
  mkdirSync(sa, { recursive: true });
  spawnSync('sh', ['-c', `printf bench > "${sa}/token" && cp "${dir}/kube-api.crt" "${sa}/ca.crt"`]);
  const port = await freePort();
  // unshare and sh exec in turn, so the pid is the injector's own
  const script =
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && ' +
    'cp "$BENCH_SA"/token "$BENCH_SA"/ca.crt /run/secrets/kubernetes.io/serviceaccount/ && ' +
    'exec "$BENCH_VAULT_K8S" agent-inject';
  const child = spawn('unshare', ['-m', 'sh', '-c', script], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      BENCH_SA: sa,
      BENCH_VAULT_K8S: vaultK8sBin,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(api.port),
      NAMESPACE: 'vault',
      AGENT_INJECT_LISTEN: `127.0.0.1:${port}`,
      AGENT_INJECT_TLS_CERT_FILE: serving.cert,
      AGENT_INJECT_TLS_KEY_FILE: serving.key,
      AGENT_INJECT_VAULT_ADDR: vaultAddr,
      AGENT_INJECT_USE_LEADER_ELECTOR: 'false',
    },
    stdio: ['ignore', 'ignore', process.env.KEYWARD_BENCH_VERBOSE ? 'inherit' : 'ignore'],
  });
  let exited = null;
  child.on('exit', (code) => {
    exited = code;
  });
  const ca = readFileSync(serving.cert);
  for (let i = 0; ; i++) {
    if (exited !== null) {
      api.close();
      throw new Error(`bench: vault-k8s exited (${exited}); KEYWARD_BENCH_VERBOSE=1 shows why`);
    }
    const ok = await new Promise((resolve) => {
      get({ host: '127.0.0.1', port, path: '/health/ready', ca }, (res) => {
        res.resume();
        resolve(res.statusCode >= 200 && res.statusCode < 300); // 204
      }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) {
      child.kill();
      api.close();
      throw new Error('bench: vault-k8s did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid,
    ca,
    stop: () => {
      child.kill();
      api.close();
    },
  };
}
