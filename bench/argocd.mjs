// A repo-server refresh of 200 Argo CD apps (a third each plain YAML, Helm charts and Kustomize
// apps), rendered one after another as cmp-server runs a plugin (working directory = the app, the
// ARGOCD_* environment): `keyward argocd generate` next to argocd-vault-plugin v1.18.1 in its
// documented pipelines (`argocd-vault-plugin generate .`, `helm template … | argocd-vault-plugin
// generate -`, `kustomize build . | argocd-vault-plugin generate -`), each in its own syntax, both
// logging in to the same Vault with approle through a counting proxy, each with its token cache.
// Reports the median wall time of whole passes, the ratio, and Vault logins, token lookups and
// secret reads per pass. Before timing, every app's output is checked for its secret values.
// Usage: node bench/argocd.mjs [rounds=3] [apps=200]   (needs `npm run build` and `npm run rig`)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countingProxy, median, need, rig, startVault, timed } from './lib/rig.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 3);
const APPS = Number(process.argv[3] ?? 200);
const bin = join(rig, 'bin');
const cli = join(root, 'dist', 'cli', 'launch.cjs');
need([
  [cli, 'npm run build'],
  ...['argocd-vault-plugin', 'rig-vault', 'helm', 'kustomize'].map((t) => [join(bin, t), 'npm run rig']),
]);
const tmp = mkdtempSync(join(tmpdir(), 'keyward-bench-argocd-'));
const vault = await startVault(tmp);
process.on('exit', () => {
  vault.stop();
  rmSync(tmp, { recursive: true, force: true });
});

// the secrets, an approle for the plugin, and the counting proxy
const value = (i, key) => `${key}-${i}-${(i * 7919) % 1000}`;
for (let i = 0; i < APPS; i++) {
  await vault.admin(`secret/data/bench/app-${i}`, {
    data: { username: value(i, 'user'), password: value(i, 'pass'), token: value(i, 'token') },
  });
}
await vault.admin('secret/data/bench/shared', { data: { registry: 'registry-credential-0451' } });
await vault.admin('sys/policies/acl/bench', { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }' });
await vault.admin('sys/auth/approle', { type: 'approle' });
await vault.admin('auth/approle/role/argocd', { token_policies: ['bench'], token_ttl: '1h' });
const roleId = (await vault.admin('auth/approle/role/argocd/role-id', undefined, 'GET')).data.role_id;
const secretId = (await vault.admin('auth/approle/role/argocd/secret-id', {})).data.secret_id;
const proxy = await countingProxy(vault.port, (url) =>
  url.startsWith('/v1/auth/approle/login')
    ? 'logins'
    : url.startsWith('/v1/auth/token/lookup-self')
      ? 'lookups'
      : url.startsWith('/v1/secret/data/bench/')
        ? 'reads'
        : '',
);

// the apps, once per syntax
const KINDS = ['plain', 'helm', 'kustomize'];
const ref = {
  keyward: (path, key) => `<vault:secret/bench/${path}#${key}>`,
  avp: (path, key) => `<path:secret/data/bench/${path}#${key}>`,
};
function writeApp(dir, tool, i) {
  const kind = KINDS[i % 3];
  const r = (key) => ref[tool](`app-${i}`, key);
  const w = (file, text) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  const deployment = (name, checksum) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n      annotations:\n        checksum/db: ${checksum}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/example/app:1.0.${i}\n          envFrom:\n            - secretRef:\n                name: ${name}-db\n`;
  const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-${i}-db\nstringData:\n  username: ${r('username')}\n  password: ${r('password')}\n  token: ${r('token')}\n  registry: ${ref[tool]('shared', 'registry')}\n  url: postgres://${r('username')}:${r('password')}@db-${i}:5432/app\n`;
  const checksum = `"${r('password').replace(/>$/, ' | sha256sum>')}"`;
  if (kind === 'plain' || kind === 'kustomize') {
    w('secret.yaml', secret);
    w('deployment.yaml', deployment(`app-${i}`, checksum));
    if (kind === 'kustomize')
      w('kustomization.yaml', 'resources:\n  - secret.yaml\n  - deployment.yaml\ncommonLabels:\n  team: bench\n');
    return kind;
  }
  w('Chart.yaml', `apiVersion: v2\nname: app-${i}\nversion: 1.0.0\n`);
  w(
    'values.yaml',
    `db:\n  username: ${r('username')}\n  password: ${r('password')}\n  token: ${r('token')}\nregistry: ${ref[tool]('shared', 'registry')}\n`,
  );
  w(
    'templates/secret.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db\ndata:\n  username: {{ .Values.db.username | b64enc }}\n  password: {{ .Values.db.password | b64enc }}\nstringData:\n  token: {{ .Values.db.token | quote }}\n  registry: {{ .Values.registry | quote }}\n',
  );
  w('templates/deployment.yaml', deployment('{{ .Release.Name }}', checksum));
  return kind;
}
const apps = { keyward: [], avp: [] };
for (const tool of ['keyward', 'avp']) {
  for (let i = 0; i < APPS; i++) {
    const dir = join(tmp, tool, `app-${String(i).padStart(3, '0')}`);
    apps[tool].push({ i, dir, kind: writeApp(dir, tool, i) });
  }
}

const env = (tool, app) => ({
  PATH: `${bin}:${process.env.PATH}`,
  HOME: join(tmp, `home-${tool}`),
  VAULT_ADDR: proxy.addr,
  AVP_TYPE: 'vault',
  AVP_AUTH_TYPE: 'approle',
  AVP_ROLE_ID: roleId,
  AVP_SECRET_ID: secretId,
  KEYWARD_VAULT_TOKEN_CACHE: join(tmp, 'keyward-tokens'),
  ARGOCD_APP_NAME: `app-${app.i}`,
  ARGOCD_APP_NAMESPACE: 'bench',
  ARGOCD_APP_SOURCE_PATH: `app-${app.i}`,
  ARGOCD_APP_REVISION: '4f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d',
});
const PIPELINES = {
  plain: ['argocd-vault-plugin', ['generate', '.']],
  helm: [
    'sh',
    ['-c', 'helm template "$ARGOCD_APP_NAME" -n "$ARGOCD_APP_NAMESPACE" . | argocd-vault-plugin generate -'],
  ],
  kustomize: ['sh', ['-c', 'kustomize build . | argocd-vault-plugin generate -']],
};
const command = (tool, app) =>
  tool === 'keyward' ? [process.execPath, [cli, 'argocd', 'generate']] : PIPELINES[app.kind];

async function pass(tool, check = false) {
  const before = { ...proxy.counts };
  const started = process.hrtime.bigint();
  for (const app of apps[tool]) {
    const [cmd, args] = command(tool, app);
    const r = await timed(cmd, args, { cwd: app.dir, env: env(tool, app) });
    if (check) {
      // a chart's data holds the password base64-encoded
      const shown = (v) => r.stdout.includes(v) || r.stdout.includes(Buffer.from(v).toString('base64'));
      const missing = ['pass', 'token'].filter((key) => !shown(value(app.i, key)));
      if (r.code !== 0 || missing.length > 0 || !r.stdout.includes('registry-credential-0451'))
        throw new Error(
          `bench: ${tool} failed on app-${app.i} (${app.kind}): exit ${r.code} ${r.stderr.slice(0, 300)}`,
        );
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const delta = (k) => (proxy.counts[k] ?? 0) - (before[k] ?? 0);
  return { ms, logins: delta('logins'), lookups: delta('lookups'), reads: delta('reads'), all: delta('all') };
}

const first = { keyward: await pass('keyward', true), avp: await pass('avp', true) };
const version = spawnSync(join(bin, 'helm'), ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
console.log(`check: both tools render all ${APPS} apps (${KINDS.join(', ')}) with every secret value`);
console.log(
  `node ${process.version}; helm ${version}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const show = (r) =>
  `${(r.ms / 1000).toFixed(2)} s, logins ${r.logins}, token lookups ${r.lookups}, secret reads ${r.reads}, all requests ${r.all}`;
console.log(`first pass (empty token caches): keyward ${show(first.keyward)}`);
console.log(`                                 avp     ${show(first.avp)}`);
const results = { keyward: [], avp: [] };
for (let i = 0; i < rounds; i++) {
  for (const tool of i % 2 === 0 ? ['keyward', 'avp'] : ['avp', 'keyward']) results[tool].push(await pass(tool));
}
const k = median(results.keyward.map((r) => r.ms));
const a = median(results.avp.map((r) => r.ms));
console.log(`\nmedians over ${rounds} alternating refresh passes of ${APPS} apps, one after another`);
for (const tool of ['keyward', 'avp']) {
  const rs = results[tool];
  const m = (key) => [...new Set(rs.map((r) => r[key]))].join('/');
  console.log(
    `${tool.padEnd(8)} ${(median(rs.map((r) => r.ms)) / 1000).toFixed(2)} s (${(median(rs.map((r) => r.ms)) / APPS).toFixed(1)} ms per app)  per pass: logins ${m('logins')}, token lookups ${m('lookups')}, secret reads ${m('reads')}, all requests ${m('all')}`,
  );
}
console.log(`ratio keyward / avp: ${(k / a).toFixed(3)}x (goal <= 0.25x)`);
proxy.close();
process.exit(0);
