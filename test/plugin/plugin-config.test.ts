/**
 * The plugin's pieces without a server: plugin.yaml is a valid ConfigManagementPlugin
 * and the install example mounts the same file in a sidecar wired as cmp-server
 * needs it; settings precedence (config file < env < ARGOCD_ENV_*); parameters from
 * ARGOCD_APP_PARAMETERS or PARAM_*; source detection; helm's arguments; value files
 * kept inside the repository; helm output split per template; the repository root.
 */

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { checkoutOf } from '../../plugin/checkout.js';
import { exposureLines } from '../../plugin/generate.js';
import { pluginParameters } from '../../plugin/parameters.js';
import { configEntries, pluginLayers } from '../../plugin/settings.js';
import { bySource, helmArguments, sourceKind } from '../../plugin/source.js';
import { Settings } from '../../src/index.js';
import { REPO, tempDir } from '../helpers/proc.js';

const dir = tempDir();
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

describe('plugin.yaml and the install example', () => {
  it('is a ConfigManagementPlugin that runs keyward argocd, and the install example mounts the same file', () => {
    const plugin = parse(read('plugin/plugin.yaml'));
    expect(plugin).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ConfigManagementPlugin' });
    expect(plugin.metadata.name).toBe('keyward');
    expect(plugin.spec.generate.command).toEqual(['keyward-cmp']);
    expect(plugin.spec.init.command).toEqual(['keyward', 'argocd', 'init']);
    expect(plugin.spec.discover.find.command).toEqual(['keyward', 'argocd', 'discover']);
    const names = plugin.spec.parameters.static.map((p: { name: string }) => p.name);
    expect(names).toEqual([
      'values-files',
      'values',
      'helm-parameters',
      'release-name',
      'include-crds',
      'source-type',
      'strict',
    ]);
    expect(read('examples/argocd/install/plugin.yaml')).toBe(read('plugin/plugin.yaml'));
  });

  it('the sidecar runs cmp-server as uid 999, read-only, with the volumes cmp-server needs', () => {
    const patch = parse(read('examples/argocd/install/repo-server-patch.yaml'));
    const [sidecar] = patch.spec.template.spec.containers;
    expect(sidecar.command).toEqual(['sh', '-c', 'keyward argocd serve & exec /var/run/argocd/argocd-cmp-server']);
    expect(sidecar.securityContext).toMatchObject({
      runAsUser: 999,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const mounts = Object.fromEntries(sidecar.volumeMounts.map((m: { name: string }) => [m.name, m]));
    expect(mounts['var-files'].mountPath).toBe('/var/run/argocd');
    expect(mounts.plugins.mountPath).toBe('/home/argocd/cmp-server/plugins');
    expect(mounts['keyward-plugin']).toMatchObject({
      mountPath: '/home/argocd/cmp-server/config/plugin.yaml',
      subPath: 'plugin.yaml',
    });
    expect(mounts['keyward-tmp'].mountPath).toBe('/tmp');
    const apps = parseAllDocuments(read('examples/argocd/applications.yaml')).map((d) => d.toJS());
    expect(apps.map((a) => a.spec.source.plugin.name)).toEqual(['keyward', 'keyward', 'keyward']);
  });
});

describe('settings and parameters', () => {
  it("the environment beats the config file; the Application's plugin env is its own layer, allow-listed", () => {
    const file = configEntries('VAULT_ADDR: http://file\nAVP_TYPE: vault\nKEYWARD_TIMEOUT: 5\n', 'keyward.yaml');
    const { operator, app } = pluginLayers(
      { VAULT_ADDR: 'http://env', ARGOCD_ENV_AVP_TYPE: 'sops', ARGOCD_ENV_: 'x' },
      file,
    );
    expect([operator.get('VAULT_ADDR'), operator.get('AVP_TYPE'), operator.get('KEYWARD_TIMEOUT')]).toEqual([
      'http://env',
      'vault',
      '5',
    ]);
    expect(app).toEqual([['AVP_TYPE', 'sops']]);
    // an allow-list: names nobody thought of are refused too
    for (const name of [
      'KUBECONFIG',
      'VAULT_NAMESPACE',
      'VAULT_ROLE',
      'AVP_MOUNT_PATH',
      'GNUPGHOME',
      'SOMETHING_NEW',
    ]) {
      expect(() => pluginLayers({ [`ARGOCD_ENV_${name}`]: 'x' })).toThrow(
        `the Application sets ${name}, which an Application may not set`,
      );
    }
    expect(() => pluginLayers({ ARGOCD_ENV_KUBECONFIG: '/x', ARGOCD_ENV_AWS_PROFILE: 'p' })).toThrow(
      'the Application sets KUBECONFIG, AWS_PROFILE, which an Application may not set',
    );
    const allowed = pluginLayers({ KEYWARD_PLUGIN_ENV_ALLOW: 'AWS_*', ARGOCD_ENV_AWS_PROFILE: 'p' });
    expect(allowed.app).toEqual([['AWS_PROFILE', 'p']]);
    expect(() => pluginLayers({ ARGOCD_ENV_KEYWARD_PLUGIN_ENV_ALLOW: '*', ARGOCD_ENV_PATH: '/x' })).toThrow(
      'sets KEYWARD_PLUGIN_ENV_ALLOW, PATH',
    );
    // strict mode: on only
    expect(pluginLayers({ ARGOCD_ENV_KEYWARD_STRICT: 'true' }).app).toEqual([['KEYWARD_STRICT', 'true']]);
    expect(() => pluginLayers({ ARGOCD_ENV_KEYWARD_STRICT: 'false' })).toThrow('may only turn strict mode on');
    expect(() => pluginLayers({ ARGOCD_ENV_AVP_TYPE: 'awssecretsmanager' })).toThrow(
      'AVP_TYPE to a value it may not set',
    );
    expect(() => configEntries('a: [1]', 'f.yaml')).toThrow('f.yaml: a must be a string, number or boolean');
    expect(() => configEntries('- a', 'f.yaml')).toThrow('f.yaml is not a map of settings');
    expect(() => configEntries('a: "', 'f.yaml')).toThrow('f.yaml is not YAML or JSON');
  });

  it('parameters come from ARGOCD_APP_PARAMETERS, else PARAM_* (strings and arrays)', () => {
    const json = JSON.stringify([
      { name: 'values-files', array: ['a.yaml', 'b.yaml'] },
      { name: 'helm-parameters', map: { 'image.tag': 'v2' } },
      { name: 'release-name', string: 'web' },
    ]);
    const p = pluginParameters({ ARGOCD_APP_PARAMETERS: json });
    expect([p.array('values-files'), p.map('helm-parameters'), p.string('release-name')]).toEqual([
      ['a.yaml', 'b.yaml'],
      [['image.tag', 'v2']],
      'web',
    ]);
    const q = pluginParameters({
      PARAM_VALUES_FILES_0: 'a.yaml',
      PARAM_VALUES_FILES_1: 'b.yaml',
      PARAM_RELEASE_NAME: 'web',
    });
    expect([q.array('values-files'), q.string('release-name'), q.map('helm-parameters')]).toEqual([
      ['a.yaml', 'b.yaml'],
      'web',
      [],
    ]);
    expect(() => pluginParameters({ ARGOCD_APP_PARAMETERS: '{' })).toThrow('ARGOCD_APP_PARAMETERS is not JSON');
  });
});

describe('sources', () => {
  it('detects Helm, Kustomize and plain apps, or takes the type it is given', () => {
    for (const [name, file] of [
      ['helm', 'Chart.yaml'],
      ['kustomize', 'kustomization.yaml'],
      ['plain', 'app.yaml'],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, file), 'x: 1\n');
      expect(sourceKind(join(dir, name))).toBe(name);
    }
    expect(sourceKind(join(dir, 'helm'), 'plain')).toBe('plain');
    expect(() => sourceKind(dir, 'jsonnet')).toThrow('"jsonnet" is not auto, helm, kustomize or plain');
  });

  it("helm's arguments: flags, then -- and the positionals; value files by real path inside the repository", () => {
    const repo = join(dir, 'helm-repo');
    const app = join(repo, 'apps', 'web');
    mkdirSync(join(repo, 'apps', 'common'), { recursive: true });
    mkdirSync(app);
    writeFileSync(join(app, 'prod.yaml'), 'a: 1\n');
    writeFileSync(join(repo, 'apps', 'common', 'common.yaml'), 'a: 1\n');
    symlinkSync('/etc/passwd', join(app, 'escape.yaml'));
    const s = new Settings([
      ['ARGOCD_APP_NAME', 'web'],
      ['ARGOCD_APP_NAMESPACE', 'shop'],
      ['KUBE_VERSION', '1.31.4'],
      ['KUBE_API_VERSIONS', 'v1,apps/v1'],
    ]);
    const params = (list: object[]) => pluginParameters({ ARGOCD_APP_PARAMETERS: JSON.stringify(list) });
    const p = params([
      { name: 'values-files', array: ['prod.yaml', '../common/common.yaml'] },
      { name: 'helm-parameters', map: { replicas: '3' } },
      { name: 'include-crds', string: 'false' },
    ]);
    const where = { root: repo, dir: app };
    expect(helmArguments(where, s, p)).toEqual([
      ...['template', '--namespace', 'shop', '--kube-version', '1.31.4'],
      ...['--api-versions', 'v1', '--api-versions', 'apps/v1'],
      ...['--values', join(app, 'prod.yaml'), '--values', join(repo, 'apps', 'common', 'common.yaml')],
      ...['--set', 'replicas=3', '--', 'web', app],
    ]);
    const up = relative(app, '/etc/passwd');
    for (const [file, why] of [
      [up, `value file ${up} lies outside the repository`],
      ['/etc/passwd', 'value file /etc/passwd lies outside the repository'],
      ['escape.yaml', 'value file escape.yaml lies outside the repository'],
      ['missing.yaml', 'value file missing.yaml does not exist in the repository'],
      ['https://example.com/v.yaml', 'URLs are not allowed'],
    ]) {
      expect(() => helmArguments(where, s, params([{ name: 'values-files', array: [file] }]))).toThrow(why);
    }
    // no parameter becomes a flag: the release name is checked as Helm checks it
    for (const name of ['--post-renderer=sh', '-f', 'Web', 'a_b', 'x'.repeat(54), 'a..b', '']) {
      const bad = params([{ name: 'release-name', string: name }]);
      if (name === '') expect(helmArguments(where, s, bad)).toContain('web');
      else expect(() => helmArguments(where, s, bad)).toThrow('is not a Helm release name');
    }
    expect(helmArguments(where, s, params([{ name: 'release-name', string: 'web.v2' }])).slice(-3)).toEqual([
      '--',
      'web.v2',
      app,
    ]);
  });

  it("helm's output is cut per template, so errors name the template", () => {
    const out =
      '---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/a.yaml\nkind: A2\n---\n# Source: c/templates/b.yaml\nkind: B\n';
    expect(bySource(out, 'helm:').map((s) => s.name)).toEqual(['helm: c/templates/a.yaml', 'helm: c/templates/b.yaml']);
    expect(bySource('kind: X\n', 'kustomize build')).toEqual([{ name: 'kustomize build', text: 'kind: X\n' }]);
  });

  it("the checkout is the first folder under cmp-server's work folder holding the app's real path", () => {
    const work = join(dir, 'cmp');
    const root = join(work, '_cmp_server', 'r4nd0m');
    mkdirSync(join(root, 'sub', 'app'), { recursive: true });
    mkdirSync(join(root, 'app'));
    symlinkSync('.', join(root, 'sub', 'l'));
    const settings = (path: string) =>
      new Settings([
        ['ARGOCD_CMP_WORKDIR', work],
        ['ARGOCD_APP_SOURCE_PATH', path],
      ]);
    expect(checkoutOf(join(root, 'app'), settings('app'))).toEqual({ root, dir: join(root, 'app') });
    // counting the parts of the path would give / here
    const deep = 'sub/l/l/l/l/l/l/l/l/app';
    expect(checkoutOf(join(root, deep), settings(deep))).toEqual({ root, dir: join(root, 'sub', 'app') });
    expect(() => checkoutOf(dir, settings('x'))).toThrow("is not inside cmp-server's work folder");
    // a run by hand (no app path): the folder is the checkout
    expect(checkoutOf(join(root, 'app'), new Settings())).toEqual({ root: join(root, 'app'), dir: join(root, 'app') });
  });

  it('exposures are grouped per manifest and never carry a value', () => {
    const lines = exposureLines([
      { file: 'f.yaml', document: 0, kind: 'ConfigMap', name: 'cm', field: 'data.a' },
      { file: 'f.yaml', document: 0, kind: 'ConfigMap', name: 'cm', field: 'data.b' },
    ]);
    expect(lines).toEqual(['ConfigMap cm (f.yaml, document 0) holds secret values in data.a, data.b']);
  });
});
