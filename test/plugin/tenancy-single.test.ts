/**
 * A single-team install (no KEYWARD_TENANTS: the sidecar logs in as team a's Vault role
 * with team a's age key) keeps the same safe defaults. Tried from an app of that install
 * against team b's checkout, namespace and Vault secrets and the sidecar's own
 * environment, the way cmp-server runs the plugin (generate and keyward-cmp + serve):
 * a release name that would be a Helm flag, `<sops:…>` and value files out of the
 * checkout or split by helm, another namespace's Kubernetes Secret, the sidecar's
 * environment, settings an Application may not set, a secret outside the masked fields,
 * a SOPS data file next to the manifests and a pathological value. Each fails closed
 * (or, for exposure without strict mode, warns), and no value of team b shows anywhere.
 * Vault reads use the install's role, never the sidecar's broader VAULT_TOKEN.
 */

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/proc.js';
import { startTenancy, type TenancyRig } from '../helpers/tenancy.js';
import { canariesOf, expectRefused, type Mode, type Resident, render, startResident } from '../helpers/tenancy-run.js';

const dir = tempDir();
let rig: TenancyRig;
let resident: Resident;
let leaks: string[];

beforeAll(async () => {
  rig = await startTenancy(dir);
  resident = await startResident(join(dir, 'serve'), rig.single);
  leaks = [...canariesOf({ ...rig.canary.b }), rig.single.VAULT_TOKEN ?? ''];
});

afterAll(async () => {
  resident?.stop();
  await rig?.close();
});

const secret = (body: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n${body}`;

/** Team a's app `apps/x` holding `files`, in a new checkout. */
function app(files: Record<string, string>, extra: object = {}) {
  const repo = rig.checkout('a');
  mkdirSync(join(repo, 'apps', 'x'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo, 'apps', 'x', name), text);
  return { repo, path: 'apps/x', team: 'a' as const, ...extra };
}

describe.each<Mode>(['generate', 'serve'])('a single-team install, %s', (mode) => {
  const go = (a: Parameters<typeof render>[1]) => render(rig.single, a, mode, resident);

  it("renders its own secrets with its own role; team b's Vault secret is refused by Vault", async () => {
    const own = await go({ repo: rig.checkout('a'), path: 'apps/plain', team: 'a' });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain(rig.canary.a.vault);
    const res = await go(
      app({ 's.yaml': secret(`stringData:\n  v: <vault:secret/${rig.prefix}/team-b/db#password>\n`) }),
    );
    expectRefused(res, 'permission denied', leaks, resident);
  });

  it('a release name that would be a Helm flag never reaches helm', async () => {
    const repo = rig.checkout('a');
    const marker = join(dir, `ran-single-${mode}`);
    writeFileSync(join(repo, 'apps', 'helm', 'x.sh'), `#!/bin/sh\ntouch ${marker}\ncat\n`);
    chmodSync(join(repo, 'apps', 'helm', 'x.sh'), 0o755);
    const parameters = [{ name: 'release-name', string: '--post-renderer=./x.sh' }];
    const res = await go({ repo, path: 'apps/helm', team: 'a', parameters });
    expectRefused(res, 'is not a Helm release name', leaks, resident);
    expect(existsSync(marker)).toBe(false);
  });

  it("files out of the checkout: another checkout's SOPS file, a value file helm would split", async () => {
    const theirs = join(rig.checkout('b'), 'apps', 'plain', 'data.enc.yaml');
    let res = await go(app({ 's.yaml': secret(`stringData:\n  v: <sops:${theirs}#pw>\n`) }));
    expectRefused(res, 'lies outside the repository', leaks, resident);
    const repo = rig.checkout('a');
    const file = `x,${theirs}`;
    mkdirSync(join(repo, 'apps', 'helm', `x,${join(theirs, '..')}`), { recursive: true });
    writeFileSync(join(repo, 'apps', 'helm', file), 'a: 1\n');
    const parameters = [{ name: 'values-files', array: [file] }];
    res = await go({ repo, path: 'apps/helm', team: 'a', parameters });
    expectRefused(res, "a path holding ',' or '\"' is not allowed", leaks, resident);
  });

  it("another namespace's Secrets and the sidecar's environment are refused before any read", async () => {
    const before = rig.k8s.requests.length;
    for (const [ref, why] of [
      ['<k8s:team-b/db#password>', 'k8s:team-b/db is not allowed for this app (KEYWARD_ALLOW)'],
      ['<k8s:kube-system/x#y>', 'k8s:kube-system/x is not allowed'],
      ['<env:VAULT_TOKEN>', 'env:VAULT_TOKEN is not allowed for this app (KEYWARD_ALLOW)'],
    ]) {
      const res = await go(app({ 's.yaml': secret(`stringData:\n  v: ${ref}\n`) }));
      expectRefused(res, why as string, leaks, resident);
    }
    expect(rig.k8s.requests.length).toBe(before);
  });

  it('settings an Application may not set are refused; exposure warns, and strict mode fails', async () => {
    for (const name of ['KEYWARD_STRICT', 'GNUPGHOME', 'VAULT_ROLE', 'KEYWARD_ALLOW']) {
      const value = name === 'KEYWARD_STRICT' ? 'false' : 'x';
      const res = await go(app({ 's.yaml': secret('stringData:\n  v: x\n') }, { pluginEnv: { [name]: value } }));
      expectRefused(res, `the Application sets ${name}`, leaks, resident);
    }
    const shown = { 's.yaml': secret(`  labels:\n    v: <vault:secret/${rig.prefix}/team-a/db#password>\n`) };
    const loose = await go(app(shown));
    expect(loose.code, loose.stderr).toBe(0);
    expect(loose.stderr).toContain('holds secret values in metadata.labels.v');
    expect(loose.stderr).not.toContain(rig.canary.a.vault);
    const strict = await go(app(shown, { pluginEnv: { KEYWARD_STRICT: 'true' } }));
    expectRefused(strict, 'secrets where Argo CD shows them unmasked (strict mode)', [rig.canary.a.vault], resident);
  });

  it('a SOPS data file next to the manifests is left out; a pathological value is refused quickly', async () => {
    const data = rig.sopsFile('a');
    const ok = await go(app({ 's.yaml': secret('stringData:\n  v: <sops:d.enc.yaml#pw>\n'), 'd.enc.yaml': data }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.match(/^kind: /gm)).toHaveLength(1);
    expect(ok.stdout).not.toContain('ENC[');
    const started = performance.now();
    const res = await go(
      app({ 'p.yaml': `apiVersion: v1\nkind: ConfigMap\ndata:\n  v: "${'<{'.repeat(1_000_000)}"\n` }),
    );
    expectRefused(res, "too many '<' before '{'", leaks, resident);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
