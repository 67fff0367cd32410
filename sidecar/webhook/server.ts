/**
 * The webhook's HTTPS server: express serves `/healthz` and `/readyz` (readyz turns
 * 503 while shutting down), `/metrics` (Prometheus counters of admissions by outcome
 * and namespace, a histogram of admission time, certificate reloads), 404s and the
 * errors of bad requests; `POST /mutate`, the hot path, has its own handler
 * (mutate-route.ts) in front of express.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import { createServer } from 'node:https';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Counter, Histogram, METRICS_CONTENT_TYPE, Registry } from '../metrics.js';
import type { CertPair } from './cert-files.js';

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

export function webhookApp(metrics: WebhookMetrics, state: AppState) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
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
  // whatever else goes wrong: a plain 500, never a stack trace
  app.use((_err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/** HTTPS: `POST /mutate` to its own handler (mutate-route.ts), every other request to express. */
export function httpsServer(
  app: ReturnType<typeof webhookApp>,
  pair: CertPair,
  mutate: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }, (req, res) => {
    if (req.method === 'POST' && (req.url === '/mutate' || req.url?.startsWith('/mutate?'))) mutate(req, res);
    else app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
