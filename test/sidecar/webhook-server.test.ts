/**
 * `keyward webhook` as it runs in the cluster: the built CLI serving HTTPS on
 * loopback with certificate files (made by openssl), answering AdmissionReviews,
 * probes and metrics; picking up renewed certificate files without a restart;
 * `--self-signed` with its CA written out; stopping with exit 0 on SIGTERM; bad
 * flags failing with a clear line. A canary in a pod never reaches its logs,
 * metrics or answers.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyward, tempDir } from '../helpers/proc.js';
import { loopbackCert } from '../helpers/tls.js';
import { call, servedFingerprint, startWebhookProcess, type WebhookProcess } from '../helpers/webhook.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'injector');
const CANARY = 'canary-7Hq2-webhook-never-prints-this';
const dir = tempDir('keyward-webhook-');

function reviewText(name: string, edit?: (pod: { metadata: { annotations: Record<string, string> } }) => void) {
  const review = JSON.parse(readFileSync(join(FIXTURES, `${name}.review.json`), 'utf8'));
  edit?.(review.request.object);
  return JSON.stringify(review);
}

describe('keyward webhook over TLS with certificate files', () => {
  const first = loopbackCert(dir, 'one');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  let hook: WebhookProcess;

  beforeAll(async () => {
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    hook = await startWebhookProcess(
      ['--tls-cert', certFile, '--tls-key', keyFile, '--vault-addr', 'http://vault:8200', '--agent-image', 'k:1'],
      { KEYWARD_WEBHOOK_CERT_POLL: '0.2' },
      () => readFileSync(certFile),
    );
  });
  afterAll(() => hook.child.kill('SIGKILL'));

  it('answers an AdmissionReview with the patch, echoing the uid', async () => {
    const res = await call(hook.port, first.cert, 'POST', '/mutate', reviewText('files-native'));
    expect(res.status).toBe(200);
    const { response } = JSON.parse(res.body);
    expect(response).toMatchObject({
      uid: '7f3b2c1e-0d4a-4c8e-9a51-000000000004',
      allowed: true,
      patchType: 'JSONPatch',
    });
    expect(JSON.parse(Buffer.from(response.patch, 'base64').toString()).length).toBeGreaterThan(3);
  });

  it('health, readiness, metrics, and clear errors for bad requests', async () => {
    expect((await call(hook.port, first.cert, 'GET', '/healthz')).status).toBe(200);
    expect((await call(hook.port, first.cert, 'GET', '/readyz')).status).toBe(200);
    const bad = await call(hook.port, first.cert, 'POST', '/mutate', '{not json');
    expect(bad).toEqual({ status: 400, body: '{"error":"the body is not valid JSON"}' });
    const notReview = await call(hook.port, first.cert, 'POST', '/mutate', '{"kind":"Pod"}');
    expect(notReview.status).toBe(400);
    expect((await call(hook.port, first.cert, 'GET', '/nope')).status).toBe(404);
    const huge = await call(hook.port, first.cert, 'POST', '/mutate', `"${'x'.repeat(5 * 1024 * 1024)}"`);
    expect(huge).toEqual({ status: 413, body: '{"error":"request too large"}' });
    const metrics = (await call(hook.port, first.cert, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/keyward_webhook_admissions_total\{outcome="injected",namespace="shop"\} 1/);
    expect(metrics).toMatch(/keyward_webhook_admission_duration_seconds_count \d+/);
    expect(metrics).toMatch(/keyward_webhook_admissions_total\{outcome="invalid"\} 3/);
  });

  it('never shows a canary from a pod in its answers, logs or metrics', async () => {
    const withEnv = reviewText('env-job', (pod) => {
      (pod as unknown as { spec: { containers: { env: unknown[] }[] } }).spec.containers[0]?.env.push({
        name: 'LITERAL',
        value: CANARY,
      });
    });
    const denied = reviewText('files-native', (pod) => {
      pod.metadata.annotations['keyward.io/template-literal'] = `password=${CANARY}`;
    });
    const answers = [
      await call(hook.port, first.cert, 'POST', '/mutate', withEnv),
      await call(hook.port, first.cert, 'POST', '/mutate', denied),
    ];
    expect(JSON.parse(answers[1]?.body ?? '{}').response.allowed).toBe(false);
    const metrics = (await call(hook.port, first.cert, 'GET', '/metrics')).body;
    // the env-mode patch carries the pod's own env only by reference to its index: never its values
    const patch = Buffer.from(JSON.parse(answers[0]?.body ?? '{}').response.patch, 'base64').toString();
    for (const text of [answers[1]?.body ?? '', patch, metrics, hook.stderr()]) expect(text).not.toContain(CANARY);
    expect(hook.stderr()).toMatch(/refused shop\/web-6c9f7d8b5d-\*: .*template-literal: holds no placeholder/);
  });

  it('serves renewed certificate files without a restart', async () => {
    const before = await servedFingerprint(hook.port);
    const second = loopbackCert(dir, 'two');
    // as the kubelet updates a mounted Secret: new files swapped in by rename
    writeFileSync(`${keyFile}.new`, second.key);
    writeFileSync(`${certFile}.new`, second.cert);
    renameSync(`${keyFile}.new`, keyFile);
    renameSync(`${certFile}.new`, certFile);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await sleep(100);
      after = await servedFingerprint(hook.port);
    }
    expect(after).not.toBe(before);
    expect((await call(hook.port, second.cert, 'GET', '/healthz')).status).toBe(200);
    expect(hook.stderr()).toMatch(/loaded the renewed certificate/);
  });

  it('stops with exit 0 on SIGTERM', async () => {
    const started = Date.now();
    hook.child.kill('SIGTERM');
    expect(await hook.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('keyward webhook --self-signed and bad flags', () => {
  it('serves a certificate made in memory, signed by the CA it writes out', async () => {
    const caFile = join(dir, 'ca.pem');
    const hook = await startWebhookProcess(
      ['--self-signed', '--self-signed-hosts', 'localhost,127.0.0.1', '--ca-out', caFile],
      {},
      () => readFileSync(caFile),
    );
    try {
      const res = await call(hook.port, readFileSync(caFile), 'GET', '/readyz');
      expect(res).toEqual({ status: 200, body: 'ready\n' });
      expect(hook.stderr()).toMatch(/self-signed certificate for localhost, 127.0.0.1 \(development only\)/);
    } finally {
      hook.child.kill('SIGTERM');
      expect(await hook.exited).toBe(0);
    }
  });

  it.each([
    [['--listen', '127.0.0.1:0'], /give --tls-cert and --tls-key \(or --self-signed/],
    [
      ['--listen', '127.0.0.1:0', '--tls-cert', '/nonexistent.crt', '--tls-key', '/nonexistent.key'],
      /cannot read the TLS/,
    ],
    [['--listen', 'here', '--self-signed'], /--listen "here" is not \[host:\]port/],
    [['--self-signed', '--listen', '127.0.0.1:0', '--auth-type', 'ldap'], /auth type "ldap"/],
  ])('%j fails with a clear line and exit 1', async (args, message) => {
    const res = await keyward(['webhook', ...args]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
