// A repo-server refresh of 200 Argo CD apps (a third each plain YAML, Helm charts and Kustomize
// apps), rendered one after another as cmp-server runs a plugin (working directory = the app, the
// ARGOCD_* environment). keyward runs two ways: as installed (plugin.yaml's `keyward-cmp` with
// `keyward argocd serve` resident in the sidecar) and as one `keyward argocd generate` process per
// app. Next to it, argocd-vault-plugin v1.18.1 in its documented pipelines (`argocd-vault-plugin
// generate .`, `helm template … | argocd-vault-plugin generate -`, `kustomize build . |
// argocd-vault-plugin generate -`). Each tool uses its own syntax, logs in to the same Vault with
// approle through a counting proxy, and keeps its token cache. The first pass of each starts with
// empty caches (and checks every app's output for its secret values); the refresh passes after it
// are timed: median pass time, ratios, and Vault logins, token lookups and secret reads per pass.
// Usage: node bench/argocd.mjs [rounds=3] [apps=200]   (needs `npm run build` and `npm run rig`)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
const serverDir = join(tmp, 'keyward-server');
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
const TOOLS = ['keyward-cmp', 'keyward', 'avp'];
const syntax = (tool) => (tool === 'avp' ? 'avp' : 'keyward');
const apps = {};
for (const tool of TOOLS) {
  apps[tool] = [];
  for (let i = 0; i < APPS; i++) {
    const dir = join(tmp, tool, `app-${String(i).padStart(3, '0')}`);
    apps[tool].push({ i, dir, kind: writeApp(dir, syntax(tool), i) });
  }
}
// each tool's HOME (AVP keeps its token cache in ~/.avp)
for (const tool of ['keyward', 'avp']) mkdirSync(join(tmp, `home-${tool}`));
// keyward resident in the "sidecar", and `keyward` on PATH for keyward-cmp
mkdirSync(join(tmp, 'bin'));
symlinkSync(cli, join(tmp, 'bin', 'keyward'));
const server = spawn(process.execPath, [cli, 'argocd', 'serve', '--dir', serverDir], {
  stdio: ['ignore', 'ignore', process.env.KEYWARD_BENCH_VERBOSE ? 'inherit' : 'ignore'],
});
process.on('exit', () => server.kill());
while (!existsSync(join(serverDir, 'pid'))) await new Promise((r) => setTimeout(r, 50));

const env = (tool, app) => ({
  PATH: `${join(tmp, 'bin')}:${bin}:${process.env.PATH}`,
  HOME: join(tmp, `home-${syntax(tool)}`),
  KEYWARD_SERVER: serverDir,
  KEYWARD_TEMPLATE_CACHE: join(tmp, 'templates'),
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
  tool === 'avp'
    ? PIPELINES[app.kind]
    : tool === 'keyward'
      ? [process.execPath, [cli, 'argocd', 'generate']]
      : ['sh', [join(root, 'plugin', 'keyward-cmp')]];

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

const first = {};
for (const tool of TOOLS) first[tool] = await pass(tool, true);
const version = spawnSync(join(bin, 'helm'), ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
console.log(`check: both tools render all ${APPS} apps (${KINDS.join(', ')}) with every secret value`);
console.log(
  `node ${process.version}; helm ${version}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const show = (r) =>
  `${(r.ms / 1000).toFixed(2)} s, logins ${r.logins}, token lookups ${r.lookups}, secret reads ${r.reads}, all requests ${r.all}`;
console.log('first pass (empty token and template caches):');
for (const tool of TOOLS) console.log(`  ${tool.padEnd(11)} ${show(first[tool])}`);
const results = Object.fromEntries(TOOLS.map((tool) => [tool, []]));
for (let i = 0; i < rounds; i++) {
  for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse()) results[tool].push(await pass(tool));
}
console.log(`\nmedians over ${rounds} alternating refresh passes of ${APPS} apps, one after another`);
for (const tool of TOOLS) {
  const rs = results[tool];
  const m = (key) => [...new Set(rs.map((r) => r[key]))].join('/');
  console.log(
    `${tool.padEnd(11)} ${(median(rs.map((r) => r.ms)) / 1000).toFixed(2)} s (${(median(rs.map((r) => r.ms)) / APPS).toFixed(1)} ms per app)  per pass: logins ${m('logins')}, token lookups ${m('lookups')}, secret reads ${m('reads')}, all requests ${m('all')}`,
  );
}
const a = median(results.avp.map((r) => r.ms));
const ratio = (tool) => (median(results[tool].map((r) => r.ms)) / a).toFixed(3);
console.log(`ratio keyward-cmp (serve) / avp: ${ratio('keyward-cmp')}x (goal <= 0.25x)`);
console.log(`ratio keyward (a process per app) / avp: ${ratio('keyward')}x`);
const cold = (tool) => (first[tool].ms / first.avp.ms).toFixed(3);
console.log(`first pass: keyward-cmp / avp ${cold('keyward-cmp')}x, keyward / avp ${cold('keyward')}x`);
proxy.close();
process.exit(0);
