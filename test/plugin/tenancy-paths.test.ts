/**
 * An app author owns every file of the repository and the Application's parameters:
 * none of it may run a program in the sidecar or read a file outside the checkout
 * cmp-server made. Tried from team b against team a's checkout (unpacked next to it,
 * as cmp-server does) and the sidecar's files: a release name that would be a Helm
 * flag (`--post-renderer` runs a program), an in-repo symlink loop that fooled the
 * repository root, `<sops:…>` paths out of the checkout, value files, chart files and
 * kustomize bases outside it, and `file://` chart dependencies at init. Each fails
 * closed naming the parameter or file, and no canary of team a shows anywhere.
 */

import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyward, tempDir } from '../helpers/proc.js';
import { startTenancy, type TenancyRig } from '../helpers/tenancy.js';
import {
  type AppRun,
  appEnv,
  canariesOf,
  expectRefused,
  type Mode,
  type Resident,
  render,
  startResident,
} from '../helpers/tenancy-run.js';

const dir = tempDir();
let rig: TenancyRig;
let resident: Resident;
let theirs: string;
let leaks: string[];

beforeAll(async () => {
  rig = await startTenancy(dir);
  resident = await startResident(join(dir, 'serve'), rig.sidecar);
  theirs = rig.checkout('a');
  mkdirSync(join(theirs, 'apps', 'k'));
  writeFileSync(join(theirs, 'apps', 'k', 'kustomization.yaml'), 'resources:\n  - ../plain/secret.yaml\n');
  leaks = canariesOf({ ...rig.canary.a });
});

afterAll(async () => {
  resident?.stop();
  await rig?.close();
});

const write = (path: string, text: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

const secretWith = (value: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\nstringData:\n  value: ${value}\n`;

/** Team a's SOPS data file as a path relative to team b's app folder `apps/x`. */
const fromApp = (repo: string, file: string) => relative(join(repo, 'apps', 'x'), join(theirs, file));

describe.each<Mode>(['generate', 'serve'])('paths and programs, %s', (mode) => {
  it('a release name that would be a Helm flag never reaches helm (parameter or PARAM_ variable)', async () => {
    for (const way of ['parameter', 'variable'] as const) {
      const repo = rig.checkout('b');
      const marker = join(dir, `ran-${mode}-${way}`);
      write(join(repo, 'apps', 'helm', 'x.sh'), `#!/bin/sh\ntouch ${marker}\ncat\n`);
      chmodSync(join(repo, 'apps', 'helm', 'x.sh'), 0o755);
      const name = '--post-renderer=./x.sh';
      const app: AppRun = {
        repo,
        path: 'apps/helm',
        team: 'b',
        ...(way === 'parameter'
          ? { parameters: [{ name: 'release-name', string: name }] }
          : { paramVars: { PARAM_RELEASE_NAME: name } }),
      };
      const res = await render(rig.sidecar, app, mode, resident);
      expectRefused(res, 'is not a Helm release name', leaks, resident);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('a symlink loop in the app path does not move the repository root to /', async () => {
    const repo = rig.checkout('b');
    symlinkSync('.', join(repo, 'l'));
    write(join(repo, 'apps', 'x', 'secret.yaml'), secretWith(`<sops:${join(theirs, 'apps/plain/data.enc.yaml')}#pw>`));
    const app = { repo, path: 'l/l/l/l/l/l/l/l/apps/x', team: 'b' as const };
    const res = await render(rig.sidecar, app, mode, resident);
    expectRefused(res, 'data.enc.yaml lies outside the repository', leaks, resident);
  });

  it('<sops:…> out of the checkout, directly or through a symlink, is refused', async () => {
    const repo = rig.checkout('b');
    const up = fromApp(repo, 'apps/plain/data.enc.yaml');
    symlinkSync(join(theirs, 'apps', 'plain', 'data.enc.yaml'), join(repo, 'linked.enc.yaml'));
    // a plain app's check covers its folder: the symlink at the top is caught by the reference's real path
    for (const ref of [up, '/etc/passwd', '../../linked.enc.yaml']) {
      write(join(repo, 'apps', 'x', 'secret.yaml'), secretWith(`<sops:${ref}#pw>`));
      const res = await render(rig.sidecar, { repo, path: 'apps/x', team: 'b' }, mode, resident);
      expectRefused(res, `sops:${ref} lies outside the repository`, leaks, resident);
    }
  });

  it('value files, chart files and kustomize bases outside the checkout are refused before the tool runs', async () => {
    const repo = rig.checkout('b');
    const values = relative(join(repo, 'apps', 'helm'), join(theirs, 'apps', 'helm', 'values.yaml'));
    let res = await render(
      rig.sidecar,
      { repo, path: 'apps/helm', team: 'b', parameters: [{ name: 'values-files', array: [values] }] },
      mode,
      resident,
    );
    expectRefused(res, `value file ${values} lies outside the repository`, leaks, resident);
    const chart = rig.checkout('b');
    symlinkSync(join(theirs, 'apps', 'plain', 'data.enc.yaml'), join(chart, 'apps', 'helm', 'stolen.yaml'));
    res = await render(rig.sidecar, { repo: chart, path: 'apps/helm', team: 'b' }, mode, resident);
    expectRefused(res, 'the symlink apps/helm/stolen.yaml points outside the repository', leaks, resident);
    const kust = rig.checkout('b');
    const base = relative(join(kust, 'apps', 'k'), join(theirs, 'apps', 'k'));
    write(join(kust, 'apps', 'k', 'kustomization.yaml'), `resources:\n  - ${base}\n`);
    res = await render(rig.sidecar, { repo: kust, path: 'apps/k', team: 'b' }, mode, resident);
    expectRefused(res, `kustomize resources entry ${base} lies outside the repository`, leaks, resident);
    write(join(kust, 'apps', 'k', 'kustomization.yaml'), `resources:\n  - ${join(theirs, 'apps', 'k')}\n`);
    res = await render(rig.sidecar, { repo: kust, path: 'apps/k', team: 'b' }, mode, resident);
    expectRefused(res, 'absolute paths are not allowed', leaks, resident);
  });
});

describe('init', () => {
  it('a file:// chart dependency outside the checkout is refused before helm packages it', async () => {
    const repo = rig.checkout('b');
    const dep = relative(join(repo, 'apps', 'helm'), join(theirs, 'apps', 'helm'));
    write(
      join(repo, 'apps', 'helm', 'Chart.yaml'),
      `apiVersion: v2\nname: team-b\nversion: 1.0.0\ndependencies:\n  - name: team-a\n    version: 1.0.0\n    repository: file://${dep}\n`,
    );
    const env = appEnv(rig.sidecar, { repo, path: 'apps/helm', team: 'b' });
    const res = await keyward(['argocd', 'init'], { clean: true, cwd: join(repo, 'apps', 'helm'), env });
    expectRefused(res, `chart dependency team-a (file://${dep}) lies outside the repository`, leaks);
    expect(existsSync(join(repo, 'apps', 'helm', 'charts'))).toBe(false);
    expect(basename(repo)).toMatch(/^b-/);
  });
});
