/**
 * Two tenants on one plugin sidecar, against the rig's real Vault (a jwt role and a
 * policy per team), real SOPS files (per-team age keys, made by the real sops) and a
 * loopback FAKE Kubernetes API: each tenant renders its own secrets, and every
 * reference to the other tenant's secrets (Vault in both syntaxes and through `..`,
 * Kubernetes Secrets of another namespace, the sidecar's environment, a project no
 * tenant owns) fails closed before anything is read — run as cmp-server runs
 * `keyward argocd generate`, and through keyward-cmp and `keyward argocd serve`.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/proc.js';
import { startTenancy, TEAMS, type TenancyRig } from '../helpers/tenancy.js';
import {
  canariesOf,
  expectRefused,
  filesHolding,
  type Mode,
  type Resident,
  render,
  startResident,
} from '../helpers/tenancy-run.js';

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

/** Team b's plain app with `manifest` added to it. */
function teamBApp(manifest: string) {
  const repo = rig.checkout('b');
  writeFileSync(join(repo, 'apps', 'plain', 'extra.yaml'), manifest);
  return { repo, path: 'apps/plain', team: 'b' as const };
}

const secretWith = (value: string, annotations = '') =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\n${annotations}stringData:\n  value: ${value}\n`;

describe.each<Mode>(['generate', 'serve'])('tenancy, %s', (mode) => {
  it('each tenant renders its own secrets: Vault (its role), SOPS (its key), its namespace', async () => {
    for (const t of TEAMS) {
      const res = await render(rig.sidecar, { repo: rig.checkout(t), path: 'apps/plain', team: t }, mode, resident);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const c = rig.canary[t];
      for (const value of [c.vault, c.sopsData, c.sopsManifest, c.k8s]) expect(res.stdout).toContain(value);
      // the SOPS data file serves <sops:…> only: never printed as a document
      expect(res.stdout).not.toContain('pw:');
      expect(res.stdout).not.toContain('sops:');
      const theirs = rig.canary[t === 'a' ? 'b' : 'a'];
      for (const value of canariesOf({ ...theirs })) expect(res.stdout).not.toContain(value);
    }
  });

  it("the other tenant's Vault secrets are refused before any read, in every syntax", async () => {
    const a = `secret/${rig.prefix}/team-a/db`;
    const cases: [string, string, string?][] = [
      [`<vault:${a}#password>`, `vault:${a} is not allowed for tenant team-b`],
      [
        `<path:secret/data/${rig.prefix}/team-a/db#password>`,
        `vault:secret/data/${rig.prefix}/team-a/db is not allowed`,
      ],
      [`<vault:secret/${rig.prefix}/team-b/../team-a/db#password>`, 'is not a plain Vault path'],
      [`<vault:secret/${rig.prefix}/team-b/%2e%2e/team-a/db#password>`, 'is not a plain Vault path'],
      [
        '<password>',
        `vault:secret/data/${rig.prefix}/team-a/db is not allowed`,
        `  annotations:\n    avp.kubernetes.io/path: secret/data/${rig.prefix}/team-a/db\n`,
      ],
    ];
    for (const [value, why, annotations] of cases) {
      const res = await render(rig.sidecar, teamBApp(secretWith(value, annotations)), mode, resident);
      expectRefused(res, why, canariesOf({ ...rig.canary.a }), resident);
      expect(res.stderr).toContain('extra.yaml');
    }
  });

  it("another namespace's Kubernetes Secrets are refused without a request; the app's own namespace is read", async () => {
    const before = rig.k8s.requests.length;
    for (const ref of ['team-a/db', 'kube-system/argocd-secret', 'argocd/db']) {
      const res = await render(rig.sidecar, teamBApp(secretWith(`<k8s:${ref}#password>`)), mode, resident);
      expectRefused(res, `k8s:${ref} is not allowed for tenant team-b`, canariesOf({ ...rig.canary.a }), resident);
    }
    expect(rig.k8s.requests.slice(before).filter((r) => !r.includes('/namespaces/team-b/'))).toEqual([]);
  });

  it("the sidecar's environment is not readable: <env:…> reads nothing unless the tenant's list names it", async () => {
    for (const name of ['VAULT_TOKEN', 'KEYWARD_VAULT_JWT_FILE', 'SOPS_AGE_KEY_FILE', 'HOME', 'PATH']) {
      const res = await render(rig.sidecar, teamBApp(secretWith(`<env:${name}>`)), mode, resident);
      expectRefused(res, `env:${name} is not allowed for tenant team-b`, [rig.sidecar.VAULT_TOKEN ?? ''], resident);
    }
  });

  it('a project that no tenant owns fails closed, naming the project', async () => {
    const app = { repo: rig.checkout('b'), path: 'apps/plain', team: 'b' as const, project: 'default' };
    const res = await render(rig.sidecar, app, mode, resident);
    expectRefused(res, `project default belongs to no tenant in ${rig.tenantsFile}`, [], resident);
  });
});

describe('tenancy: nothing of team a is left where team b renders', () => {
  it('token and template caches, and the server log, hold no secret value', () => {
    const all = TEAMS.flatMap((t) => canariesOf({ ...rig.canary[t] }));
    expect(filesHolding(rig.tokenCache, all)).toEqual([]);
    expect(filesHolding(rig.templateCache, all)).toEqual([]);
    expect(filesHolding(join(dir, 'serve'), all)).toEqual([]);
  });
});
