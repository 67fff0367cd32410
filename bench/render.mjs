// keyward render next to argocd-vault-plugin (AVP) v1.18.1 `generate`, on the same data in one run:
// 500 Secret manifests holding 5,000 placeholders over 200 unique Vault paths (KV v2), each tool in
// its own syntax, against the rig's Vault API dev server behind a counting loopback proxy.
// Reports median wall time over alternating runs, the ratio, and Vault requests per run for each.
// Before timing, both outputs are checked to hold every expected value.
// Usage: node bench/render.mjs [runs=7]   (needs `npm run build` and the rig, which builds AVP: npm run rig)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countingProxy, median, need, rig, startVault, timed } from './lib/rig.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 7);
const avp = join(rig, 'bin', 'argocd-vault-plugin');
const cli = join(root, 'dist', 'cli', 'launch.cjs');
need([
  [avp, 'npm run rig'],
  [cli, 'npm run build'],
  [join(rig, 'bin', 'rig-vault'), 'npm run rig'],
]);
const PATHS = 200;
const MANIFESTS = 500;
const PER_MANIFEST = 10;
const KEYS = 25;
const tmp = mkdtempSync(join(tmpdir(), 'keyward-bench-render-'));

// the Vault API dev server
const vault = await startVault(tmp);
const token = vault.token;
process.on('exit', () => {
  vault.stop();
  rmSync(tmp, { recursive: true, force: true });
});
const value = (p, k) => `val-${p}-${k}`;
for (let p = 0; p < PATHS; p++) {
  const data = Object.fromEntries(Array.from({ length: KEYS }, (_, k) => [`k${k}`, value(p, k)]));
  await vault.admin(`secret/data/bench/app-${p}`, { data });
}

// the counting proxy in front of Vault
const proxy = await countingProxy(vault.port, (url) => (url.startsWith('/v1/secret/data/bench/') ? 'reads' : ''));
const proxyAddr = proxy.addr;

// the manifests, once per syntax
const expected = [];
for (const [tool, ref] of [
  ['keyward', (p, k) => `<vault:secret/bench/app-${p}#k${k}>`],
  ['avp', (p, k) => `<path:secret/data/bench/app-${p}#k${k}>`],
]) {
  const dir = join(tmp, tool);
  mkdirSync(dir);
  for (let m = 0; m < MANIFESTS; m++) {
    const p = m % PATHS;
    const fields = Array.from({ length: PER_MANIFEST }, (_, j) => {
      const k = (m + j) % KEYS;
      if (tool === 'keyward') expected.push(value(p, k));
      return `  f${j}: ${ref(p, k)}`;
    });
    writeFileSync(
      join(dir, `m${String(m).padStart(3, '0')}.yaml`),
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: m${m}\nstringData:\n${fields.join('\n')}\n`,
    );
  }
}

const env = {
  ...process.env,
  VAULT_ADDR: proxyAddr,
  VAULT_TOKEN: token,
  AVP_TYPE: 'vault',
  AVP_AUTH_TYPE: 'token',
  KEYWARD_VAULT_TOKEN_CACHE: 'off',
};
const commands = {
  keyward: [process.execPath, [cli, 'render', join(tmp, 'keyward')]],
  avp: [avp, ['generate', join(tmp, 'avp')]],
};
async function once(tool) {
  const [cmd, args] = commands[tool];
  const [before, readsBefore] = [proxy.counts.all, proxy.counts.reads ?? 0];
  const out = await timed(cmd, args, { env });
  return { ...out, requests: proxy.counts.all - before, reads: (proxy.counts.reads ?? 0) - readsBefore };
}

for (const tool of ['keyward', 'avp']) {
  const r = await once(tool);
  const missing = expected.filter((v) => !r.stdout.includes(v)).length;
  if (r.code !== 0 || missing > 0) throw new Error(`bench: ${tool} failed (exit ${r.code}, ${missing} values missing)`);
}
console.log(`check: both tools render all ${expected.length} placeholders of ${MANIFESTS} manifests (${PATHS} paths)`);
console.log(
  `keyward: ${cli}; avp: ${spawnSync(avp, ['version'], { encoding: 'utf8' }).stdout.trim() || 'v1.18.1'}; node ${process.version}; load ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const results = { keyward: [], avp: [] };
for (let i = 0; i < runs; i++) {
  for (const tool of i % 2 === 0 ? ['keyward', 'avp'] : ['avp', 'keyward']) results[tool].push(await once(tool));
}
const k = median(results.keyward.map((r) => r.ms));
const a = median(results.avp.map((r) => r.ms));
console.log(
  `\nmedians over ${runs} alternating runs (whole process, ${MANIFESTS} manifests, ${expected.length} placeholders, ${PATHS} paths)`,
);
const counts = (rs) =>
  `secret reads ${[...new Set(rs.map((r) => r.reads))].join('/')}, all Vault requests ${[...new Set(rs.map((r) => r.requests))].join('/')}`;
console.log(`keyward render  ${k.toFixed(1)} ms  per run: ${counts(results.keyward)}`);
console.log(`avp generate    ${a.toFixed(1)} ms  per run: ${counts(results.avp)}`);
console.log(`ratio keyward / avp: ${(k / a).toFixed(3)}x (goal <= 0.25x)`);
proxy.close();
process.exit(0);
