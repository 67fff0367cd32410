// A repo-server refresh of 200 Argo CD apps (a third each plain YAML, Helm charts and Kustomize
// apps), rendered one after another as cmp-server runs a plugin (each app in its own checkout under
// `<work>/_cmp_server`, working directory = the app, the ARGOCD_* environment). keyward runs three
// ways: as installed (plugin.yaml's `keyward-cmp` with `keyward argocd serve` resident in the
// sidecar), the same with a tenancy file of 10 tenants (the 200 apps spread over 10 Argo CD
// projects, each tenant logging in with its own approle), and as one `keyward argocd generate`
// process per app. Next to it, argocd-vault-plugin v1.18.1 in its documented pipelines
// (`argocd-vault-plugin generate .`, `helm template … | argocd-vault-plugin generate -`,
// `kustomize build . | argocd-vault-plugin generate -`). Each tool uses its own syntax, logs in to
// the same Vault with approle through a counting proxy, and keeps its token cache. The first pass
// of each starts with empty caches (and checks every app's output for its secret values); the
// refresh passes after it are timed: median pass time, ratios, and Vault logins, token lookups and
// secret reads per pass.
// Usage: node bench/argocd.mjs [rounds=3] [apps=200]   (needs `npm run build` and `npm run rig`)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AVP_PIPELINES, complete, KINDS, SHARED_REGISTRY, value, writeApps } from './lib/argocd-apps.mjs';
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

// the secrets, an approle for the single-team sidecar and one per tenant, and the counting proxy
const TENANTS = 10;
for (let i = 0; i < APPS; i++) {
  await vault.admin(`secret/data/bench/app-${i}`, {
    data: { username: value(i, 'user'), password: value(i, 'pass'), token: value(i, 'token') },
  });
}
await vault.admin('secret/data/bench/shared', { data: { registry: SHARED_REGISTRY } });
await vault.admin('sys/policies/acl/bench', { policy: 'path "secret/data/bench/*" { capabilities = ["read"] }' });
await vault.admin('sys/auth/approle', { type: 'approle' });
async function approle(name) {
  await vault.admin(`auth/approle/role/${name}`, { token_policies: ['bench'], token_ttl: '1h' });
  const roleId = (await vault.admin(`auth/approle/role/${name}/role-id`, undefined, 'GET')).data.role_id;
  const secretId = (await vault.admin(`auth/approle/role/${name}/secret-id`, {})).data.secret_id;
  return { AVP_ROLE_ID: roleId, AVP_SECRET_ID: secretId };
}
const sidecarRole = await approle('argocd');
// the tenancy file: tenant team-N owns project team-N and logs in with its own approle
const tenants = {};
for (let t = 0; t < TENANTS; t++) {
  tenants[`team-${t}`] = {
    projects: [`team-${t}`],
    settings: await approle(`argocd-team-${t}`),
    allow: ['vault:secret/data/bench/*'],
  };
}
const tenantsFile = join(tmp, 'tenants.yaml');
writeFileSync(tenantsFile, JSON.stringify({ tenants }, null, 2));
const proxy = await countingProxy(vault.port, (url) =>
  url.startsWith('/v1/auth/approle/login')
    ? 'logins'
    : url.startsWith('/v1/auth/token/lookup-self')
      ? 'lookups'
      : url.startsWith('/v1/secret/data/bench/')
        ? 'reads'
        : '',
);

const TOOLS = ['keyward-cmp', 'keyward-cmp-10t', 'keyward', 'avp'];
const syntax = (tool) => (tool === 'avp' ? 'avp' : 'keyward');
const apps = Object.fromEntries(TOOLS.map((tool) => [tool, writeApps(join(tmp, tool), syntax(tool), APPS)]));
// each tool's HOME (AVP keeps its token cache in ~/.avp), and `keyward` on PATH for keyward-cmp
for (const tool of TOOLS) mkdirSync(join(tmp, `home-${tool}`));
mkdirSync(join(tmp, 'bin'));
symlinkSync(cli, join(tmp, 'bin', 'keyward'));
// keyward resident in each "sidecar" (it makes its folder itself)
const serverDir = (tool) => join(tmp, `server-${tool}`);
for (const tool of ['keyward-cmp', 'keyward-cmp-10t']) {
  const server = spawn(process.execPath, [cli, 'argocd', 'serve', '--dir', serverDir(tool)], {
    stdio: ['ignore', 'ignore', process.env.KEYWARD_BENCH_VERBOSE ? 'inherit' : 'ignore'],
  });
  process.on('exit', () => server.kill());
  while (!existsSync(join(serverDir(tool), 'pid'))) await new Promise((r) => setTimeout(r, 50));
}

const env = (tool, app) => ({
  PATH: `${join(tmp, 'bin')}:${bin}:${process.env.PATH}`,
  HOME: join(tmp, `home-${tool}`),
  KEYWARD_SERVER: serverDir(tool),
  KEYWARD_TEMPLATE_CACHE: join(tmp, `templates-${tool}`),
  KEYWARD_VAULT_TOKEN_CACHE: join(tmp, `tokens-${tool}`),
  VAULT_ADDR: proxy.addr,
  AVP_TYPE: 'vault',
  AVP_AUTH_TYPE: 'approle',
  ...(tool === 'keyward-cmp-10t' ? { KEYWARD_TENANTS: tenantsFile } : sidecarRole),
  ARGOCD_CMP_WORKDIR: join(tmp, tool),
  ARGOCD_APP_NAME: `app-${app.i}`,
  ARGOCD_APP_NAMESPACE: 'bench',
  ARGOCD_APP_PROJECT_NAME: tool === 'keyward-cmp-10t' ? `team-${app.i % TENANTS}` : 'default',
  ARGOCD_APP_SOURCE_PATH: app.path,
  ARGOCD_APP_REVISION: '4f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d',
});
const command = (tool, app) =>
  tool === 'avp'
    ? AVP_PIPELINES[app.kind]
    : tool === 'keyward'
      ? [process.execPath, [cli, 'argocd', 'generate']]
      : ['sh', [join(root, 'plugin', 'keyward-cmp')]];

async function pass(tool, check = false) {
  const before = { ...proxy.counts };
  const started = process.hrtime.bigint();
  for (const app of apps[tool]) {
    const [cmd, args] = command(tool, app);
    const r = await timed(cmd, args, { cwd: app.dir, env: env(tool, app) });
    if (check && (r.code !== 0 || !complete(r.stdout, app.i))) {
      throw new Error(`bench: ${tool} failed on app-${app.i} (${app.kind}): exit ${r.code} ${r.stderr.slice(0, 300)}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const delta = (k) => (proxy.counts[k] ?? 0) - (before[k] ?? 0);
  return { ms, logins: delta('logins'), lookups: delta('lookups'), reads: delta('reads'), all: delta('all') };
}

const first = {};
for (const tool of TOOLS) first[tool] = await pass(tool, true);
const version = spawnSync(join(bin, 'helm'), ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
console.log(`check: every tool renders all ${APPS} apps (${KINDS.join(', ')}) with every secret value`);
console.log(
  `node ${process.version}; helm ${version}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const show = (r) =>
  `${(r.ms / 1000).toFixed(2)} s, logins ${r.logins}, token lookups ${r.lookups}, secret reads ${r.reads}, all requests ${r.all}`;
console.log('first pass (empty token and template caches):');
for (const tool of TOOLS) console.log(`  ${tool.padEnd(15)} ${show(first[tool])}`);
const results = Object.fromEntries(TOOLS.map((tool) => [tool, []]));
for (let i = 0; i < rounds; i++) {
  for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse()) results[tool].push(await pass(tool));
}
console.log(`\nmedians over ${rounds} alternating refresh passes of ${APPS} apps, one after another`);
for (const tool of TOOLS) {
  const rs = results[tool];
  const m = (key) => [...new Set(rs.map((r) => r[key]))].join('/');
  console.log(
    `${tool.padEnd(15)} ${(median(rs.map((r) => r.ms)) / 1000).toFixed(2)} s (${(median(rs.map((r) => r.ms)) / APPS).toFixed(1)} ms per app)  per pass: logins ${m('logins')}, token lookups ${m('lookups')}, secret reads ${m('reads')}, all requests ${m('all')}`,
  );
}
const a = median(results.avp.map((r) => r.ms));
const ratio = (tool) => (median(results[tool].map((r) => r.ms)) / a).toFixed(3);
console.log(`ratio keyward-cmp (serve) / avp: ${ratio('keyward-cmp')}x (goal <= 0.25x)`);
console.log(`ratio keyward (a process per app) / avp: ${ratio('keyward')}x`);
const cold = (tool) => (first[tool].ms / first.avp.ms).toFixed(3);
console.log(`first pass: keyward-cmp / avp ${cold('keyward-cmp')}x, keyward / avp ${cold('keyward')}x`);
const single = median(results['keyward-cmp'].map((r) => r.ms));
const tenancy = (median(results['keyward-cmp-10t'].map((r) => r.ms)) / single).toFixed(3);
console.log(`ratio ${TENANTS} tenants / one team (keyward-cmp, refresh): ${tenancy}x (goal <= 1.1x)`);
const logins = first['keyward-cmp-10t'].logins;
console.log(`${TENANTS} tenants: ${logins} Vault logins in the first pass (goal: one per tenant, ${TENANTS})`);
proxy.close();
process.exit(0);
