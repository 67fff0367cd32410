/**
 * One AdmissionReview (admission.k8s.io/v1) in, one out: the response echoes the
 * request's uid and apiVersion; an opted-in pod gets a base64 JSON Patch; a pod that
 * is not opted in, already injected, or not a pod CREATE is allowed unchanged; a
 * misconfigured pod, or one in kube-system / kube-public, is refused with a message
 * naming the annotation. Pure: no I/O, no network, so admission stays fast.
 */

import { KeywardError } from '../../src/index.js';
import { mutation, type PatchOp, wantsInjection } from './mutate.js';
import type { WebhookOptions } from './options.js';
import { isPod } from './pod.js';

export type Outcome = 'injected' | 'skipped' | 'denied' | 'invalid';

export interface AdmissionResult {
  /** The AdmissionReview to send back. */
  review: Record<string, unknown>;
  outcome: Outcome;
  namespace: string;
  /** Why the pod was refused (no secret values: annotations hold references only). */
  message?: string;
  ops?: PatchOp[];
}

const DENIED_NAMESPACES = new Set(['kube-system', 'kube-public']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function reply(apiVersion: string, uid: string, response: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion, kind: 'AdmissionReview', response: { uid, ...response } };
}

/** Answers a parsed AdmissionReview body; `invalid` when it is not one (HTTP 400). */
export function admit(body: unknown, options: WebhookOptions): AdmissionResult {
  const request = isRecord(body) && isRecord(body.request) ? body.request : undefined;
  const apiVersion = isRecord(body) && typeof body.apiVersion === 'string' ? body.apiVersion : '';
  if (!request || typeof request.uid !== 'string' || apiVersion !== 'admission.k8s.io/v1') {
    const message = 'not an admission.k8s.io/v1 AdmissionReview with a request uid';
    return { review: { error: message }, outcome: 'invalid', namespace: '', message };
  }
  const uid = request.uid;
  const namespace = typeof request.namespace === 'string' ? request.namespace : '';
  const kind = isRecord(request.kind) ? request.kind : {};
  const allow = (): AdmissionResult => ({
    review: reply(apiVersion, uid, { allowed: true }),
    outcome: 'skipped',
    namespace,
  });
  if (request.operation !== 'CREATE' || kind.kind !== 'Pod' || (kind.group ?? '') !== '') return allow();
  const pod = request.object;
  if (!isPod(pod) || !wantsInjection(pod)) return allow();
  const deny = (message: string, code: number): AdmissionResult => ({
    review: reply(apiVersion, uid, { allowed: false, status: { code, message } }),
    outcome: 'denied',
    namespace,
    message,
  });
  if (DENIED_NAMESPACES.has(namespace)) {
    return deny(`keyward: injection is refused in the ${namespace} namespace`, 403);
  }
  try {
    const { ops } = mutation(pod, options);
    const patch = Buffer.from(JSON.stringify(ops)).toString('base64');
    return {
      review: reply(apiVersion, uid, { allowed: true, patchType: 'JSONPatch', patch }),
      outcome: 'injected',
      namespace,
      ops,
    };
  } catch (err) {
    if (err instanceof KeywardError) return deny(err.message, 400);
    throw err;
  }
}
