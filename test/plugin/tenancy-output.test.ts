/**
 * What an app author can make the plugin print, and what they cannot switch off. The
 * Application's plugin env is an allow-list: strict mode can be turned on, never off,
 * and no setting that picks an identity, a keyring or a mount is taken (each refused
 * by name). Secret values where Argo CD shows them unmasked (a Secret's labels and
 * annotations, a `kind: Secret` of another API group) are reported, and fail in
 * strict mode. A SOPS file that only serves placeholders is never printed; another
 * document that is not a Kubernetes object fails the render. A 60,000-key manifest is
 * refused in well under a second, and the resident server answers the next app at
 * once, as is a value that would make the placeholder scan quadratic; helm output
 * beyond the operator's limit stops helm. The yaml library never prints a value it parses.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/proc.js';
import { startTenancy, type TenancyRig } from '../helpers/tenancy.js';
import { canariesOf, expectRefused, type Mode, type Resident, render, startResident } from '../helpers/tenancy-run.js';

const dir = tempDir();
let rig: TenancyRig;
let resident: Resident;

beforeAll(async () => {
  rig = await startTenancy(dir);
  resident = await startResident(join(dir, 'serve'), rig.sidecar);
});

afterAll(async () => {
  resident?.stop();
  await rig?.close();
});

function teamB(files: Record<string, string>, extra: Partial<Parameters<typeof render>[1]> = {}) {
  const repo = rig.checkout('b');
  mkdirSync(join(repo, 'apps', 'x'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo, 'apps', 'x', name), text);
  return { repo, path: 'apps/x', team: 'b' as const, ...extra };
}

const own = () => `<vault:secret/${rig.prefix}/team-b/db#password>`;
const secret = (body: string, apiVersion = 'v1') =>
  `apiVersion: ${apiVersion}\nkind: Secret\nmetadata:\n  name: s\n${body}`;

describe.each<Mode>(['generate', 'serve'])('output, %s', (mode) => {
  it('settings an Application may not set are refused by name; strict mode only goes on', async () => {
    const leaks = canariesOf({ ...rig.canary.a });
    const tries: [string, string][] = [
      ['KEYWARD_STRICT', 'false'],
      ['GNUPGHOME', 'gnupg'],
      ['VAULT_ROLE', 'argocd-team-a'],
      ['AVP_K8S_ROLE', 'argocd-team-a'],
      ['AVP_MOUNT_PATH', 'auth/other'],
      ['VAULT_NAMESPACE', 'team-a'],
      ['KEYWARD_TENANTS', '/dev/null'],
      ['SOPS_AGE_KEY_FILE', '/etc/keyward/age/team-a.txt'],
      ['KEYWARD_ALLOW', 'vault:*'],
    ];
    for (const [name, value] of tries) {
      const app = teamB({ 's.yaml': secret(`stringData:\n  v: ${own()}\n`) }, { pluginEnv: { [name]: value } });
      const res = await render(rig.sidecar, app, mode, resident);
      expectRefused(res, `the Application sets ${name}`, leaks, resident);
    }
  });

  it('secret values in labels, annotations or a Secret of another API group are exposed; strict fails', async () => {
    const files = {
      'a.yaml': secret(`  annotations:\n    shown: ${own()}\nstringData:\n  v: ${own()}\n`),
      'b.yaml': secret(`stringData:\n  v: ${own()}\n`, 'example.com/v1').replace('name: s', 'name: other'),
      // a top-level key that only looks like data.x, and an alias repeating stringData in the annotations
      'c.yaml': secret(`data.x: ${own()}\n`).replace('name: s', 'name: dotted'),
      'd.yaml': `apiVersion: v1\nkind: Secret\nstringData: &s\n  v: ${own()}\nmetadata:\n  name: aliased\n  annotations: *s\n`,
    };
    const loose = await render(rig.sidecar, teamB(files), mode, resident);
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stderr).toContain('Secret s (');
    expect(loose.stderr).toContain('holds secret values in metadata.annotations.shown;');
    expect(loose.stderr).toContain('Secret other (');
    expect(loose.stderr).toContain('holds secret values in stringData.v;');
    expect(loose.stderr).toMatch(/Secret dotted \([^)]*\) holds secret values in data\.x;/);
    expect(loose.stderr).toMatch(/Secret aliased \([^)]*\) holds secret values in stringData\.v;/);
    expect(loose.stderr).not.toContain(rig.canary.b.vault);
    const strict = await render(rig.sidecar, teamB(files, { pluginEnv: { KEYWARD_STRICT: 'true' } }), mode, resident);
    expectRefused(strict, 'secrets where Argo CD shows them unmasked (strict mode)', [rig.canary.b.vault], resident);
  });

  it('a SOPS data file is left out; any other document that is not a Kubernetes object fails the render', async () => {
    const data = readFileSync(join(rig.checkout('b'), 'apps', 'plain', 'data.enc.yaml'), 'utf8');
    const ok = await render(
      rig.sidecar,
      teamB({ 's.yaml': secret('stringData:\n  v: x\n'), 'd.enc.yaml': data }),
      mode,
      resident,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain(rig.canary.b.sopsData);
    expect(ok.stdout).not.toContain('ENC[');
    const res = await render(rig.sidecar, teamB({ 'config.yaml': `pw: ${own()}\n` }), mode, resident);
    expectRefused(res, 'config.yaml: document 0 is not a Kubernetes object', [rig.canary.b.vault], resident);
  });

  it('a library warning never prints a value (a secret parsed with yamlParse holds an unknown tag)', async () => {
    const ref = `<vault:secret/${rig.prefix}/team-b/db#doc | yamlParse | jsonPath {.a}>`;
    const res = await render(rig.sidecar, teamB({ 's.yaml': secret(`stringData:\n  v: ${ref}\n`) }), mode, resident);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(rig.canary.b.vault);
    expect(res.stderr).not.toContain(rig.canary.b.vault);
    expect(readFileSync(resident.log, 'utf8')).not.toContain(rig.canary.b.vault);
  });

  it('a manifest of 60,000 keys is refused in well under a second; the next app is answered at once', async () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `  k${i}: v`).join('\n');
    const big = teamB({ 'big.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${keys}\n` });
    const small = teamB({ 's.yaml': secret(`stringData:\n  v: ${own()}\n`) });
    const started = performance.now();
    const [res, next] = await Promise.all([
      render(rig.sidecar, big, mode, resident),
      render(rig.sidecar, small, mode, resident),
    ]);
    expectRefused(
      res,
      'big.yaml: document 0 has more than 50000 keys and items (KEYWARD_MAX_DOCUMENT_KEYS)',
      [],
      resident,
    );
    expect(next.code).toBe(0);
    // a process start costs ~0.2-0.4 s here; the refusal itself is a lexer pass that stops at the limit
    expect(performance.now() - started).toBeLessThan(mode === 'serve' ? 1000 : 2500);
    // a value that would make the placeholder scan quadratic (each '<' then '{' to the end of the line)
    const scan = teamB({
      'scan.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scan\ndata:\n  v: "${'<{'.repeat(1_500_000)}"\n`,
    });
    const scanStarted = performance.now();
    const scanned = await render(rig.sidecar, scan, mode, resident);
    expectRefused(scanned, "has too many '<' before '{' to look for placeholders in", [], resident);
    expect(performance.now() - scanStarted).toBeLessThan(mode === 'serve' ? 1500 : 3000);
    // an operator may raise the limit; parsing stays linear (it took ~110 s when it was not)
    const raised = await render({ ...rig.sidecar, KEYWARD_MAX_DOCUMENT_KEYS: '100000' }, big, 'generate');
    expect(raised.code).toBe(0);
    expect(raised.ms).toBeLessThan(10_000);
  });

  it('helm output beyond KEYWARD_MAX_TEMPLATE_BYTES stops helm and fails the render', async () => {
    const repo = rig.checkout('b');
    writeFileSync(join(repo, 'apps', 'helm', 'templates', 'big.yaml'), 'x: {{ repeat 3000000 "x" }}\n');
    const app = { repo, path: 'apps/helm', team: 'b' as const, sidecar: { KEYWARD_MAX_TEMPLATE_BYTES: '1000000' } };
    const res = await render(rig.sidecar, app, mode, resident);
    expectRefused(res, 'helm printed more than KEYWARD_MAX_TEMPLATE_BYTES bytes; stopped', [], resident);
  });
});
