/**
 * Misconfigured opted-in pods are refused at admission (`allowed: false`) with a
 * message naming the annotation, so a mistake fails at `kubectl apply` instead of
 * making a pod without its secrets. The namespaces kube-system and kube-public are
 * refused outright. Every problem of a pod is reported at once.
 */

import { describe, expect, it } from 'vitest';
import { admit } from '../../sidecar/webhook/admission.js';
import { webhookOptions } from '../../sidecar/webhook/options.js';

const OPTIONS = webhookOptions({ vaultAddr: 'http://vault:8200' }, {}, 'keyward:test');

function review(
  annotations: Record<string, string>,
  containers: Record<string, unknown>[] = [{ name: 'app', image: 'app:1', command: ['/app'] }],
  namespace = 'demo',
) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', annotations: { 'keyward.io/inject': 'true', 'keyward.io/role': 'app', ...annotations } },
        spec: { containers },
      },
    },
  };
}

function refusal(r: ReturnType<typeof review>): string {
  const result = admit(r, OPTIONS);
  const response = (result.review as { response: { allowed: boolean; status?: { message: string; code: number } } })
    .response;
  expect(response.allowed).toBe(false);
  expect(result.outcome).toBe('denied');
  return response.status?.message ?? '';
}

const SECRET = { 'keyward.io/secret-db': '<vault:secret/app#password>' };

describe('webhook refusals', () => {
  it.each([
    ['no secret in files mode', {}, /files mode needs at least one secret/],
    [
      'a typo in an annotation name',
      { ...SECRET, 'keyward.io/secrets-db': 'x' },
      /keyward.io\/secrets-db: not a keyward/,
    ],
    ['an unknown backend', { 'keyward.io/secret-db': '<vualt:secret/app#k>' }, /secret-db: .*vualt/],
    ['an unknown modifier', { 'keyward.io/secret-db': '<vault:secret/app#k | rot13>' }, /secret-db: .*rot13/],
    [
      'a template without placeholders',
      { 'keyward.io/template-db': 'user=admin' },
      /template-db: holds no placeholder/,
    ],
    ['perms that are not octal', { ...SECRET, 'keyward.io/perms-db': '0999' }, /perms-db: .*octal/],
    ['a file outside the folder', { ...SECRET, 'keyward.io/file-db': '../etc/passwd' }, /file-db: .*relative path/],
    ['an absolute file', { ...SECRET, 'keyward.io/file-db': '/etc/db' }, /file-db/],
    [
      'a file without a secret',
      { ...SECRET, 'keyward.io/file-cache': 'cache' },
      /file-cache: no keyward.io\/secret-cache/,
    ],
    [
      'two secrets in one file',
      { ...SECRET, 'keyward.io/secret-db2': '<vault:secret/b#k>', 'keyward.io/file-db2': 'db' },
      /db is also the file of secret db/,
    ],
    ['a bad mode', { ...SECRET, 'keyward.io/mode': 'volume' }, /mode: "volume"/],
    ['a bad interval', { ...SECRET, 'keyward.io/interval': '5 minutes' }, /interval: .*duration/],
    ['a zero interval', { ...SECRET, 'keyward.io/interval': '0s' }, /interval/],
    ['an unknown signal', { ...SECRET, 'keyward.io/reload': 'SIGKILLALL' }, /reload: .*SIGHUP/],
    [
      'reload-process without reload',
      { ...SECRET, 'keyward.io/reload-process': 'nginx' },
      /without keyward.io\/reload/,
    ],
    ['an unknown container', { ...SECRET, 'keyward.io/containers': 'app,sidecar' }, /containers: sidecar is not/],
    ['a bad auth type', { ...SECRET, 'keyward.io/auth-type': 'ldap' }, /auth type "ldap"/],
    ['a bad vault address', { ...SECRET, 'keyward.io/vault-addr': 'vault:8200' }, /vault-addr: .*http/],
    ['a bad quantity', { ...SECRET, 'keyward.io/limits-mem': 'lots' }, /limits-mem: "lots" is not a quantity/],
    ['root for the agent', { ...SECRET, 'keyward.io/run-as-user': '0' }, /run-as-user/],
    ['a bad boolean', { ...SECRET, 'keyward.io/classic': 'maybe' }, /classic: "maybe" is not true or false/],
    [
      'a bad entrypoint',
      { ...SECRET, 'keyward.io/entrypoint-app': 'nginx -g' },
      /entrypoint-app: must be a JSON array/,
    ],
  ])('%s', (_what, annotations, message) => {
    expect(refusal(review(annotations))).toMatch(message);
  });

  it('a missing role, and a missing Vault address when the webhook has no default', () => {
    const r = review(SECRET);
    delete (r.request.object.metadata.annotations as Record<string, string>)['keyward.io/role'];
    const result = admit(r, webhookOptions({}, {}, 'keyward:test'));
    const message = (result.review as { response: { status: { message: string } } }).response.status.message;
    expect(message).toMatch(/role: the Vault role to log in with is required/);
    expect(message).toMatch(/vault-addr: not set/);
  });

  it('env mode: a container with placeholders and no command needs keyward.io/entrypoint-<name>', () => {
    const containers = [{ name: 'app', image: 'app:1', env: [{ name: 'PW', value: '<vault:secret/app#pw>' }] }];
    expect(refusal(review({ 'keyward.io/mode': 'env' }, containers))).toMatch(
      /container app has env placeholders but no command; .*keyward.io\/entrypoint-app/,
    );
  });

  it('env mode: an env value that is a broken placeholder names the container and variable', () => {
    const containers = [{ name: 'app', command: ['/app'], env: [{ name: 'PW', value: '<vault:secret/app#>' }] }];
    expect(refusal(review({ 'keyward.io/mode': 'env' }, containers))).toMatch(/container app, env PW: /);
  });

  it('env mode with no placeholder anywhere', () => {
    expect(refusal(review({ 'keyward.io/mode': 'env' }))).toMatch(/no selected container has an env value/);
  });

  it('a mount already at the secrets folder', () => {
    const containers = [{ name: 'app', volumeMounts: [{ name: 'x', mountPath: '/keyward/secrets' }] }];
    expect(refusal(review(SECRET, containers))).toMatch(/container app already mounts something at \/keyward\/secrets/);
  });

  it.each(['kube-system', 'kube-public'])('%s is refused', (ns) => {
    expect(refusal(review(SECRET, undefined, ns))).toMatch(new RegExp(`refused in the ${ns} namespace`));
  });

  it('every problem at once', () => {
    const message = refusal(review({ ...SECRET, 'keyward.io/perms-db': 'rw', 'keyward.io/mode': 'x' }));
    expect(message).toMatch(/perms-db/);
    expect(message).toMatch(/mode/);
  });

  it('a body that is not an AdmissionReview v1 is invalid (HTTP 400), not a crash', () => {
    expect(admit({}, OPTIONS).outcome).toBe('invalid');
    expect(admit({ apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'x' } }, OPTIONS).outcome).toBe('invalid');
    expect(admit(null, OPTIONS).outcome).toBe('invalid');
  });

  it('a literal value in a refused annotation is not echoed back', () => {
    const canary = 'canary-Zq81-literal-password';
    const message = refusal(review({ 'keyward.io/template-db': `password=${canary}` }));
    expect(message).not.toContain(canary);
    const message2 = refusal(review({ 'keyward.io/secret-db': `${canary} extra` }));
    expect(message2).not.toContain(canary);
  });
});
