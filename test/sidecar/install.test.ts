/**
 * The injector's install without a cluster: `helm lint`; the chart's renders (default values,
 * cert-manager, an existing Secret), valid against Kubernetes's schemas; its values schema and
 * README; a CEL condition that lets through exactly what the webhook reads as opting in; the
 * examples, accepted by the webhook and matched by vault-setup.sh; the Dockerfile, as data.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { mutation, wantsInjection } from '../../sidecar/webhook/mutate.js';
import { webhookOptions } from '../../sidecar/webhook/options.js';
import { POD, validateAgainst } from '../helpers/pod-schema.js';
import { REPO, run, tempDir } from '../helpers/proc.js';
import { loopbackCert } from '../helpers/tls.js';
import { call, startWebhookProcess } from '../helpers/webhook.js';
import { toolPath } from '../rig/paths.js';

type Json = Record<string, unknown>;
type Meta = { name: string; namespace?: string; annotations?: Record<string, string> };
type Selector = { matchExpressions: { key: string; operator: string; values: string[] }[] };
type Container = Json & { name: string; image: string; args: string[]; command?: string[] };
type Webhook = Json & { clientConfig: { caBundle?: string }; matchConditions: { expression: string }[] };
type Spec = Json & { template: Template; selector: { matchLabels: Json }; secretName: string; issuerRef: Meta };
type Hook = Webhook & { namespaceSelector: Selector; objectSelector: Selector };
type Manifest = Json & { apiVersion: string; kind: string; metadata: Meta; spec: Spec; webhooks: Hook[] };
type Template = { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } & {
  spec: Json & { containers: Container[]; serviceAccountName?: string; volumes: (Json & { name: string })[] };
};

const CHART = join(REPO, 'charts', 'keyward-injector');
const [NS, SVC] = ['keyward-system', 'kw-keyward-injector'];
const opts = webhookOptions({ vaultAddr: 'https://vault:8200' }, {}, 'keyward:1');
const dir = tempDir();
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const docs = (text: string) => parseAllDocuments(text).flatMap((d) => (d.toJS() as Manifest | null) ?? []);
const helm = (args: string[]) => run(toolPath('helm'), args);
const template = (...args: string[]) => helm(['template', 'kw', CHART, '-n', NS, '--kube-version', '1.31.0', ...args]);
const sets = (...values: string[]) => values.flatMap((v) => ['--set', v]);

async function render(...values: string[]): Promise<Manifest[]> {
  const res = await template(...sets(...values));
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return docs(res.stdout);
}
function one(all: Manifest[], kind: string, name?: string): Manifest {
  const found = all.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found.map((m) => m.metadata.name)).toHaveLength(1);
  return found[0] as Manifest;
}
const hook = (all: Manifest[]) => one(all, 'MutatingWebhookConfiguration').webhooks[0] as Hook;
const args = (all: Manifest[]) => one(all, 'Deployment').spec.template.spec.containers[0]?.args;
const notIn = (s: Selector, key: string) => s.matchExpressions.find((e) => e.key === key && e.operator === 'NotIn');
const tlsVolume = (secretName: string) => expect.objectContaining({ secret: expect.objectContaining({ secretName }) });

/** Each object valid against Kubernetes's schema of its kind (cert-manager's and batch/v1 have none in the rig). */
function expectValid(all: Manifest[]): void {
  for (const m of all) {
    const [group = '', version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : ['core', m.apiVersion];
    const schema = `io.k8s.api.${group.replace(/\.k8s\.io$/, '')}.${version}.${m.kind}`;
    if (!['cert-manager.io', 'batch'].includes(group)) expect(validateAgainst(schema, m), schema).toEqual([]);
    const pod = { apiVersion: 'v1', kind: 'Pod', ...m.spec?.template };
    if (m.spec?.template) expect(validateAgainst(POD, pod), `the pod of ${m.metadata.name}`).toEqual([]);
  }
}

describe('the chart', () => {
  it('passes helm lint --strict; its schema refuses bad values', async () => {
    for (const extra of [[], sets('certManager.enabled=true')]) {
      const res = await helm(['lint', CHART, '--strict', ...extra]);
      expect(res.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(res.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
    const bad = ['webhook.failurePolicy=Sometimes', 'webhook.timeoutSeconds=31', 'vault.addr=vault:8200'];
    const res = await template(...sets(...bad, 'vault.authType=ldap', 'failurePolicy=Fail'));
    for (const at of ['/webhook/failurePolicy', '/webhook/timeoutSeconds', '/vault/addr', '/vault/authType'])
      expect(res.stderr).toContain(`at '${at}'`);
    expect(res.stderr).toContain("additional properties 'failurePolicy' not allowed");
  });

  it('default values: a non-root, read-only webhook with TLS from the Secret, a PDB, and no RBAC', async () => {
    const all = await render();
    const kinds = ['Deployment', 'MutatingWebhookConfiguration', 'PodDisruptionBudget', 'Service', 'ServiceAccount'];
    expect(all.map((m) => m.kind).sort()).toEqual(kinds);
    expectValid(all);
    for (const m of all) if (m.kind !== 'MutatingWebhookConfiguration') expect(m.metadata.namespace).toBe(NS);
    expect(one(all, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    const image = `ghcr.io/keyward/keyward:${JSON.parse(read('package.json')).version}`;
    const DROP_ALL = { drop: ['ALL'] };
    const probe = (path: string) => ({ httpGet: { scheme: 'HTTPS', path, port: 'https' } });
    const deployment = one(all, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 2, template: { spec: { serviceAccountName: SVC } } });
    expect(deployment.spec.template.spec).toMatchObject({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100 }] } },
      volumes: expect.arrayContaining([{ name: 'tls', secret: { secretName: `${SVC}-tls`, defaultMode: 0o444 } }]),
      containers: [
        {
          image,
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: DROP_ALL },
          livenessProbe: probe('/healthz'),
          readinessProbe: probe('/readyz'),
          ports: [{ name: 'https', containerPort: 8443 }],
          resources: { requests: { cpu: '50m', memory: '64Mi' } },
          volumeMounts: expect.arrayContaining([{ name: 'tls', mountPath: '/etc/keyward/tls', readOnly: true }]),
        },
      ],
    });
    const tls = ['--tls-cert=/etc/keyward/tls/tls.crt', '--tls-key=/etc/keyward/tls/tls.key'];
    const rest = [`--agent-image=${image}`, '--auth-type=kubernetes', '--audience=vault'];
    expect(args(all)).toEqual(['webhook', '--listen=0.0.0.0:8443', ...tls, ...rest]);
    expect(one(all, 'Service').spec).toMatchObject({ ports: [{ port: 443, targetPort: 'https' }] });
    expect(one(all, 'PodDisruptionBudget').spec).toEqual({ minAvailable: 1, selector: deployment.spec.selector });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('registers the webhook for opted-in pod CREATEs only, failing closed, never for itself or kube-system', async () => {
    const all = await render();
    const w = hook(all);
    expect(w).toMatchObject({ failurePolicy: 'Fail', sideEffects: 'None', admissionReviewVersions: ['v1'] });
    expect(w).toMatchObject({ reinvocationPolicy: 'Never', matchPolicy: 'Equivalent' });
    expect(w.timeoutSeconds).toBeLessThanOrEqual(5);
    expect(w.rules).toEqual([
      { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
    ]);
    expect(w.clientConfig).toEqual({ service: { name: SVC, namespace: NS, path: '/mutate', port: 443 } });
    expect(notIn(w.namespaceSelector, 'kubernetes.io/metadata.name')?.values).toEqual([NS, 'kube-system']);
    const own = one(all, 'Deployment').spec.template.metadata.labels['app.kubernetes.io/name'];
    expect(notIn(w.objectSelector, 'app.kubernetes.io/name')?.values).toEqual([own]);
    const [cel = ''] = w.matchConditions.map((m) => m.expression.replace(/\s+/g, ' '));
    const guard = "has(object.metadata.annotations) && 'keyward.io/inject' in object.metadata.annotations && ";
    expect(cel.startsWith(guard)).toBe(true);
    // the values the condition lets through are exactly those the webhook reads as opting in
    const list = /\['keyward\.io\/inject'\] in \[([^\]]*)\]$/.exec(cel)?.[1] ?? '';
    const values = [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    for (const v of ['true', '1', 'yes', 'on', 'True', 'TRUE', 'y', 'false', '0', 'no', 'off', ''])
      expect(values.includes(v), v).toBe(wantsInjection({ metadata: { annotations: { 'keyward.io/inject': v } } }));
  });

  it('with cert-manager: a CA chain, a serving certificate for the Service names, and CA injection', async () => {
    const all = await render('certManager.enabled=true');
    expectValid(all);
    const serving = one(all, 'Certificate', `${SVC}-tls`);
    expect(serving.spec.dnsNames).toEqual([SVC, `${SVC}.${NS}`, `${SVC}.${NS}.svc`]);
    expect(one(all, 'Deployment').spec.template.spec.volumes).toContainEqual(tlsVolume(serving.spec.secretName));
    const ca = one(all, 'Certificate', `${SVC}-ca`);
    expect(one(all, 'Issuer', serving.spec.issuerRef.name).spec).toEqual({ ca: { secretName: ca.spec.secretName } });
    expect(ca.spec.isCA).toBe(true);
    expect(one(all, 'Issuer', ca.spec.issuerRef.name).spec).toEqual({ selfSigned: {} });
    const annotations = one(all, 'MutatingWebhookConfiguration').metadata.annotations;
    expect(annotations).toEqual({ 'cert-manager.io/inject-ca-from': `${NS}/${serving.metadata.name}` });
    expect(hook(all).clientConfig.caBundle).toBeUndefined();
    const corp = await render('certManager.enabled=true', 'certManager.issuerRef.name=corp'); // no CA chain
    expect(one(corp, 'Certificate').spec.issuerRef).toEqual({ name: 'corp', kind: 'Issuer', group: 'cert-manager.io' });
  });

  it('with an existing Secret: its caBundle (PEM or base64), every setting passed on, and the webhook starts', async () => {
    const cert = loopbackCert(dir, 'webhook');
    const values = ['tls.secretName=mine', 'vault.addr=https://vault.vault.svc:8200', 'vault.authType=jwt'];
    values.push('vault.authPath=auth/cluster-a', 'vault.audience=vault-a', 'agent.classic=true', 'agent.image=r/a:1');
    values.push('webhook.failurePolicy=Ignore', 'webhook.timeoutSeconds=3', 'webhook.excludeNamespaces={vault,mon}');
    const res = await template('--set-file', `tls.caBundle=${cert.certFile}`, ...sets(...values));
    const all = docs(res.stdout);
    expectValid(all);
    const w = hook(all);
    expect(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()).toBe(cert.cert.toString());
    expect(w).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 3 });
    const excluded = notIn(w.namespaceSelector, 'kubernetes.io/metadata.name')?.values;
    expect(excluded).toEqual([NS, 'kube-system', 'vault', 'mon']);
    expect(args(all)?.slice(4)).toEqual([
      ...['--agent-image=r/a:1', '--vault-addr=https://vault.vault.svc:8200', '--auth-type=jwt'],
      ...['--auth-path=auth/cluster-a', '--audience=vault-a', '--classic'],
    ]);
    expect(one(all, 'Deployment').spec.template.spec.volumes).toContainEqual(tlsVolume('mine'));
    // the built webhook takes these arguments, with the mounted files' paths made local
    writeFileSync(join(dir, 'tls.key'), cert.key);
    const files: Json = { crt: cert.certFile, key: join(dir, 'tls.key') };
    const at = /\/etc\/keyward\/tls\/tls\.(crt|key)/;
    const local = (args(all) ?? []).slice(2).map((a) => a.replace(at, (_, x) => `${files[x]}`));
    const webhook = await startWebhookProcess(local, {}, () => cert.cert);
    onTestFinished(() => void webhook.child.kill('SIGKILL')); // if it never stopped
    for (const path of ['/healthz', '/readyz'])
      expect((await call(webhook.port, cert.cert, 'GET', path)).status, webhook.stderr()).toBe(200);
    webhook.child.kill('SIGTERM');
    expect(await webhook.exited).toBe(0);
    const b64 = cert.cert.toString('base64');
    expect(hook(await render(`tls.caBundle=${b64}`)).clientConfig.caBundle).toBe(b64);
    expect((await render('replicaCount=1')).filter((m) => m.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('its README lists every value', () => {
    const readme = read('charts/keyward-injector/README.md');
    const children = (value: unknown) => (value && typeof value === 'object' ? Object.entries(value) : []);
    const listed = (path: string, value: unknown): boolean =>
      readme.includes(`| \`${path}\` |`) ||
      (children(value).length > 0 && children(value).every(([k, v]) => listed(`${path}.${k}`, v)));
    const values = parse(read('charts/keyward-injector/values.yaml')) as Json;
    expect(Object.entries(values).filter(([k, v]) => !listed(k, v))).toEqual([]);
  });
});

describe('the examples', () => {
  const setup = read('examples/injector/vault-setup.sh');
  const roleRe = /role\/(\S+) \\\n\s+bound_service_account_names=(\S+) \\\n.*\n\s+audience=vault /g;
  const roles = new Map([...setup.matchAll(roleRe)].map((m) => [m[1], m[2]]));
  const kvRe = /^vault kv put (\S+) (.*)$/gm;
  const kv = new Map([...setup.matchAll(kvRe)].map((m) => [m[1], (m[2] ?? '').split(' ').map((p) => p.split('=')[0])]));

  it.each(['deployment', 'job'])('%s.yaml: valid, opted in, accepted by the webhook, set up in Vault', (name) => {
    const all = docs(read(`examples/injector/${name}.yaml`));
    expectValid(all);
    const pod = (all.find((m) => m.spec?.template) as Manifest).spec.template;
    expect(pod.metadata.annotations['keyward.io/inject']).toBe('true');
    const { plan } = mutation({ metadata: pod.metadata, spec: pod.spec }, opts);
    const want = { deployment: { env: false, reload: { signal: 'SIGHUP', process: 'nginx' } }, job: { env: true } };
    expect(plan).toMatchObject({ files: true, ...want[name as keyof typeof want] });
    expect(roles.get(pod.metadata.annotations['keyward.io/role'] ?? '')).toBe(pod.spec.serviceAccountName);
    expect(one(all, 'ServiceAccount').metadata.name).toBe(pod.spec.serviceAccountName);
    for (const [, path = '', key] of JSON.stringify(pod).matchAll(/<vault:([^#>]+)(?:#([^>]+))?>/g))
      expect(kv.get(path), `${path}#${key}`).toEqual(key ? expect.arrayContaining([key]) : expect.anything());
  });

  it('vault-setup.sh is valid bash, and its secret values are obviously fake', async () => {
    expect(await run('bash', ['-n', join(REPO, 'examples/injector/vault-setup.sh')])).toMatchObject({ code: 0 });
    const fake = [...setup.matchAll(/(password|token)=(\S+)/g)].map((m) => m[2]?.startsWith('demo-'));
    expect(fake).toEqual([true, true, true]);
  });
});

describe('the image (sidecar/Dockerfile, read as data)', () => {
  const text = read('sidecar/Dockerfile').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((l) => /^[A-Z]/.test(l));
  const all = (word: string) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1));
  const final = lines.join('\n').split(/^FROM /m)[2] ?? '';

  it('builds on Node 24, runs on distroless Node.js 24 as uid 65532, with keyward as the entrypoint', () => {
    const bases = 'NODE_IMAGE=node:24-bookworm-slim RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot';
    expect(all('ARG').join(' ')).toBe(bases);
    expect(all('FROM').map((f) => f.replace(/[${}]/g, ''))).toEqual(['NODE_IMAGE AS build', 'RUNTIME_IMAGE']);
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final).not.toMatch(/^RUN (?!\[)/m); // distroless has no shell: exec-form RUN only
    expect(all('ENTRYPOINT')).toEqual(['["node", "/opt/keyward/dist/cli/launch.cjs"]']);
    expect(final).toContain('COPY --from=build /src/dist /opt/keyward/dist');
    expect(final).toMatch(/^ENV PATH=\/nodejs\/bin:\S* +HOME=\/tmp /m);
    const sources = all('COPY').flatMap((c) => (c.startsWith('--from') ? [] : c.split(/\s+/).slice(0, -1)));
    expect(sources.filter((src) => !existsSync(join(REPO, src)))).toEqual([]);
  });
});
