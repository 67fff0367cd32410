/**
 * An app author owns every file of the repository and the Application's parameters:
 * none of it may run a program in the sidecar or read a file outside the checkout
 * cmp-server made. Tried from team b against team a's checkout (unpacked next to it,
 * as cmp-server does) and the sidecar's files: a release name that would be a Helm
 * flag (`--post-renderer` runs a program), an in-repo symlink loop that fooled the
 * repository root, `<sops:…>` paths out of the checkout, value files, chart files and
 * kustomize bases outside it (whatever the entry looks like), a value file path that
 * helm would split at ',', and `file://` chart dependencies or symlinks out at init.
 * Each fails closed naming the parameter or file, and no canary of team a shows
 * anywhere. helm runs without the sidecar's credentials in its environment.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
    // an entry that looks like a git host but is a local path, and a generators entry
    for (const [field, entry] of [
      ['resources', `x.io/${relative(join(kust, 'apps', 'k', 'x.io'), join(theirs, 'apps', 'k'))}`],
      ['generators', base],
    ]) {
      mkdirSync(join(kust, 'apps', 'k', 'x.io'), { recursive: true });
      write(join(kust, 'apps', 'k', 'kustomization.yaml'), `${field}:\n  - ${entry}\n`);
      res = await render(rig.sidecar, { repo: kust, path: 'apps/k', team: 'b' }, mode, resident);
      expectRefused(res, `kustomize ${field} entry ${entry} lies outside the repository`, leaks, resident);
    }
  });

  it("a value file path with ',' never lets helm read a second file", async () => {
    const repo = rig.checkout('b');
    const target = join(theirs, 'apps', 'helm', 'values.yaml');
    // a folder named `x,` holding the other path, so the whole name exists in the repository
    write(join(repo, 'apps', 'helm', `x,${target}`), 'password: mine\n');
    const file = `x,${target}`;
    const res = await render(
      rig.sidecar,
      { repo, path: 'apps/helm', team: 'b', parameters: [{ name: 'values-files', array: [file] }] },
      mode,
      resident,
    );
    expectRefused(res, `value file ${file}: a path holding ',' or '"' is not allowed`, leaks, resident);
  });

  it("helm and kustomize run without the sidecar's credentials in their environment", async () => {
    const repo = rig.checkout('b');
    const seen = join(dir, `helm-env-${mode}`);
    // a wrapper that records the environment the real helm gets
    const wrapper = join(dir, `helm-recording-${mode}`);
    writeFileSync(wrapper, `#!/bin/sh\nenv > ${seen}\nexec helm "$@"\n`);
    chmodSync(wrapper, 0o755);
    const sidecar = { ...rig.sidecar, KEYWARD_HELM: wrapper, KEYWARD_PROGRAM_ENV: 'EXTRA_FOR_HELM' };
    const res = await render(
      { ...sidecar, EXTRA_FOR_HELM: 'passed' },
      { repo, path: 'apps/helm', team: 'b' },
      mode,
      mode === 'serve' ? resident : undefined,
    );
    expect(res.code, res.stderr).toBe(0);
    const env = readFileSync(seen, 'utf8');
    expect(env).toContain('EXTRA_FOR_HELM=passed');
    expect(env).toContain(`HOME=${rig.home}`);
    for (const name of ['VAULT_TOKEN', 'KEYWARD_VAULT_JWT_FILE', 'SOPS_AGE_KEY_FILE', 'KUBECONFIG', 'VAULT_ADDR'])
      expect(env).not.toContain(`${name}=`);
    expect(env).not.toContain(rig.sidecar.VAULT_TOKEN);
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

  it('a symlink out of the checkout is refused before helm dependency build', async () => {
    const repo = rig.checkout('b');
    mkdirSync(join(repo, 'apps', 'dep'));
    write(join(repo, 'apps', 'dep', 'Chart.yaml'), 'apiVersion: v2\nname: dep\nversion: 1.0.0\n');
    symlinkSync(join(theirs, 'apps', 'plain'), join(repo, 'apps', 'dep', 'stolen'));
    write(
      join(repo, 'apps', 'helm', 'Chart.yaml'),
      'apiVersion: v2\nname: team-b\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: file://../dep\n',
    );
    const env = appEnv(rig.sidecar, { repo, path: 'apps/helm', team: 'b' });
    const res = await keyward(['argocd', 'init'], { clean: true, cwd: join(repo, 'apps', 'helm'), env });
    expectRefused(res, 'the symlink apps/dep/stolen points outside the repository', leaks);
    expect(existsSync(join(repo, 'apps', 'helm', 'charts'))).toBe(false);
  });
});
