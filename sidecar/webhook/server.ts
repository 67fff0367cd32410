/**
 * The webhook's HTTPS server (express): `POST /mutate` answers AdmissionReviews,
 * `/healthz` and `/readyz` answer probes (readyz turns 503 while shutting down), and
 * `/metrics` gives Prometheus counters of admissions by outcome and namespace and a
 * histogram of admission time. One log line per injected or refused pod, naming the
 * pod and the reason: annotations hold references, never secret values.
 */

import type { Server } from 'node:https';
import { createServer } from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../src/index.js';
import { Counter, Histogram, METRICS_CONTENT_TYPE, Registry } from '../metrics.js';
import { admit } from './admission.js';
import type { CertPair } from './cert-files.js';
import type { WebhookOptions } from './options.js';

export interface WebhookMetrics {
  registry: Registry;
  admissions: Counter;
  duration: Histogram;
  reloads: Counter;
}

export function webhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  return {
    registry,
    admissions: registry.add(new Counter('keyward_webhook_admissions_total', 'Admission requests by outcome.')),
    duration: registry.add(
      new Histogram(
        'keyward_webhook_admission_duration_seconds',
        'Time to answer an admission request.',
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      ),
    ),
    reloads: registry.add(new Counter('keyward_webhook_certificate_reloads_total', 'Serving certificates reloaded.')),
  };
}

export interface AppState {
  ready: boolean;
}

function podName(body: unknown): string {
  const request = (body as { request?: { object?: { metadata?: { name?: unknown; generateName?: unknown } } } })
    ?.request;
  const meta = request?.object?.metadata;
  if (typeof meta?.name === 'string' && meta.name !== '') return meta.name;
  return typeof meta?.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)';
}

export function webhookApp(options: WebhookOptions, log: Logger, metrics: WebhookMetrics, state: AppState) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.post('/mutate', express.json({ limit: '4mb' }), (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const result = admit(req.body, options);
    const ns = result.namespace;
    metrics.admissions.inc({ outcome: result.outcome, ...(ns ? { namespace: ns } : {}) });
    if (result.outcome === 'injected') log.info(`webhook: injected ${ns}/${podName(req.body)}`);
    if (result.outcome === 'denied') log.warn(`webhook: refused ${ns}/${podName(req.body)}: ${result.message}`);
    res.status(result.outcome === 'invalid' ? 400 : 200).json(result.review);
    metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    res
      .status(state.ready ? 200 : 503)
      .type('text/plain')
      .send(state.ready ? 'ready\n' : 'shutting down\n');
  });
  app.get('/metrics', (_req, res) => {
    res.type(METRICS_CONTENT_TYPE).send(metrics.registry.text());
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // a body that is not JSON, or too large: a clear 4xx, never a stack trace
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    metrics.admissions.inc({ outcome: 'invalid' });
    const status = typeof err.status === 'number' && err.status < 500 ? err.status : 400;
    res.status(status).json({ error: status === 413 ? 'request too large' : 'the body is not valid JSON' });
  });
  return app;
}

export function httpsServer(app: ReturnType<typeof webhookApp>, pair: CertPair): Server {
  const server = createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = 65_000;
  return server;
}
