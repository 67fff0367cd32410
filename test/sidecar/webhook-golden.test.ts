/**
 * Golden admission tests: AdmissionReview v1 requests as the API server sends them
 * (test/fixtures/injector/*.review.json) go through the webhook's admission code; the
 * JSON Patch it answers is applied to the pod by an independent RFC 6902 library
 * (fast-json-patch); the result must equal the golden pod and validate against the
 * Kubernetes Pod schema (the official OpenAPI spec from the rig). A pod that did not
 * opt in is never changed, and admitting an injected pod again changes nothing.
 * KEYWARD_UPDATE_GOLDEN=1 rewrites the golden pods from this run (review the diff).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { admit } from '../../sidecar/webhook/admission.js';
import { webhookOptions } from '../../sidecar/webhook/options.js';
import { validatePod } from '../helpers/pod-schema.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'injector');
const OPTIONS = webhookOptions({ vaultAddr: 'http://vault.security.svc:8200' }, {}, 'ghcr.io/keyward/keyward:0.1.0');

interface Review {
  apiVersion: string;
  kind: string;
  request: { uid: string; object: Record<string, unknown>; [field: string]: unknown };
}

const reviewOf = (name: string): Review => JSON.parse(readFileSync(join(DIR, `${name}.review.json`), 'utf8'));

interface Answer {
  uid: string;
  allowed: boolean;
  patchType?: string;
  patch?: string;
  status?: { message: string };
}

const answerOf = (review: Review): Answer => {
  const result = admit(review, OPTIONS).review as { apiVersion: string; kind: string; response: Answer };
  expect(result.apiVersion).toBe('admission.k8s.io/v1');
  expect(result.kind).toBe('AdmissionReview');
  return result.response;
};

function patched(review: Review, answer: Answer): Record<string, unknown> {
  expect(answer.patchType).toBe('JSONPatch');
  const ops = JSON.parse(Buffer.from(answer.patch ?? '', 'base64').toString('utf8')) as Operation[];
  // validate = true: an op on a path that does not exist fails here instead of being ignored
  return applyPatch(structuredClone(review.request.object), ops, true, false).newDocument;
}

const CASES = ['files-native', 'env-job', 'both-entrypoint', 'classic', 'pre-populate'];

describe('webhook golden admissions', () => {
  it.each(CASES)('%s: the patched pod equals the golden pod and is a valid Pod', (name) => {
    const review = reviewOf(name);
    const answer = answerOf(review);
    expect(answer.uid).toBe(review.request.uid);
    expect(answer.allowed).toBe(true);
    const pod = patched(review, answer);
    const goldenFile = join(DIR, `${name}.pod.json`);
    const text = `${JSON.stringify(pod, null, 2)}\n`;
    if (process.env.KEYWARD_UPDATE_GOLDEN === '1') writeFileSync(goldenFile, text);
    expect(text).toBe(readFileSync(goldenFile, 'utf8'));
    expect(validatePod(pod)).toEqual([]);
  });

  it.each(CASES)('%s: admitting the injected pod again changes nothing', (name) => {
    const review = reviewOf(name);
    const pod = patched(review, answerOf(review));
    const again = answerOf({ ...review, request: { ...review.request, object: pod } });
    expect(again).toEqual({ uid: review.request.uid, allowed: true });
  });

  it('a pod that did not opt in is allowed unchanged, even with keyward annotations and placeholders', () => {
    const review = reviewOf('not-opted-in');
    expect(answerOf(review)).toEqual({ uid: review.request.uid, allowed: true });
  });

  it('a copied pod whose status says injected is not injected twice; any other status lets it be', () => {
    const review = reviewOf('files-native');
    const pod = structuredClone(review.request.object) as { metadata: { annotations: Record<string, string> } };
    pod.metadata.annotations['keyward.io/inject-status'] = 'injected';
    expect(answerOf({ ...review, request: { ...review.request, object: pod } }).patch).toBeUndefined();
    pod.metadata.annotations['keyward.io/inject-status'] = 'update';
    const answer = answerOf({ ...review, request: { ...review.request, object: pod } });
    expect(answer.allowed).toBe(true);
    expect(answer.patch).toBeDefined();
  });

  it('only pod CREATEs before the pod runs are mutated', () => {
    const review = reviewOf('files-native');
    const update = { ...review, request: { ...review.request, operation: 'UPDATE' } };
    expect(answerOf(update)).toEqual({ uid: review.request.uid, allowed: true });
    const running = structuredClone(review.request.object);
    running.status = { phase: 'Running' };
    expect(answerOf({ ...review, request: { ...review.request, object: running } }).patch).toBeUndefined();
    const other = { ...review, request: { ...review.request, kind: { group: 'apps', version: 'v1', kind: 'Pod' } } };
    expect(answerOf(other).patch).toBeUndefined();
  });

  it('the native sidecar starts first, passes its startup probe after the first render, and runs locked down', () => {
    const review = reviewOf('files-native');
    const pod = patched(review, answerOf(review)) as {
      spec: { initContainers: Record<string, unknown>[]; shareProcessNamespace?: boolean };
    };
    const [agent] = pod.spec.initContainers;
    expect(agent?.name).toBe('keyward-agent');
    expect(agent?.restartPolicy).toBe('Always');
    expect(agent?.startupProbe).toMatchObject({ httpGet: { path: '/readyz', port: 8099 } });
    expect(agent?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.shareProcessNamespace).toBe(true);
  });
});
