/**
 * `POST /mutate`, the webhook's hot path, answered on node:https directly rather
 * than through express: under 500 admissions a second, express's per-request
 * objects made the garbage collector pause often enough to more than double the p99
 * latency (bench/injector.mjs: 9.8 ms through express, 2.9–3.3 ms like this).
 * The body is read up to a limit (413 beyond it), must be JSON (400 otherwise), and
 * the answer is the AdmissionReview from admission.ts. One log line per injected or
 * refused pod, naming the pod and the reason, never a value.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../src/index.js';
import { admit } from './admission.js';
import type { WebhookOptions } from './options.js';
import type { WebhookMetrics } from './server.js';

/** The largest AdmissionReview accepted (a pod is at most about 1.5 MB in etcd). */
export const BODY_LIMIT = 4 * 1024 * 1024;

function podName(body: unknown): string {
  const request = (body as { request?: { object?: { metadata?: { name?: unknown; generateName?: unknown } } } })
    ?.request;
  const meta = request?.object?.metadata;
  if (typeof meta?.name === 'string' && meta.name !== '') return meta.name;
  return typeof meta?.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)';
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function mutateRoute(options: WebhookOptions, log: Logger, metrics: WebhookMetrics) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const fail = (status: number, error: string) => {
      metrics.admissions.inc({ outcome: 'invalid' });
      send(res, status, { error });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT && !refused) {
        refused = true;
        res.setHeader('connection', 'close');
        fail(413, 'request too large');
        req.resume();
      }
      if (!refused) chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        fail(400, 'the body is not valid JSON');
        return;
      }
      const result = admit(body, options);
      const ns = result.namespace;
      metrics.admissions.inc({ outcome: result.outcome, ...(ns ? { namespace: ns } : {}) });
      if (result.outcome === 'injected') log.info(`webhook: injected ${ns}/${podName(body)}`);
      if (result.outcome === 'denied') log.warn(`webhook: refused ${ns}/${podName(body)}: ${result.message}`);
      send(res, result.outcome === 'invalid' ? 400 : 200, result.review);
      metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    });
  };
}
