/**
 * The agent's plain-HTTP endpoints (node:http) and the metrics behind them:
 *   GET /readyz   503 until the first complete render, then 200 (the native sidecar's startup probe)
 *   GET /healthz  200 while the process runs
 *   GET /metrics  Prometheus text: renders by outcome, errors, files written, reloads,
 *                 the last success's time, the render duration
 * Labels are secret names, outcomes and signal names, never a value.
 */

import type { Server } from 'node:http';
import { KeywardError } from '../../src/index.js';
import { Counter, Gauge, Histogram, METRICS_CONTENT_TYPE, Registry } from '../metrics.js';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly renders = this.registry.add(
    new Counter('keyward_agent_renders_total', 'Renders of every secret, by outcome (success, failure).'),
  );
  readonly errors = this.registry.add(
    new Counter('keyward_agent_errors_total', 'Failures, by stage (render: a secret not resolved; write; reload).'),
  );
  readonly filesWritten = this.registry.add(
    new Counter('keyward_agent_files_written_total', 'Secret files written because their content changed, by secret.'),
  );
  readonly reloads = this.registry.add(
    new Counter('keyward_agent_reloads_total', 'Reload signals sent to app processes, by signal and process.'),
  );
  readonly lastSuccess = this.registry.add(
    new Gauge('keyward_agent_last_success_timestamp_seconds', 'Unix time of the last complete render.'),
  );
  readonly ready = this.registry.add(new Gauge('keyward_agent_ready', '1 once the first render is complete.'));
  readonly duration = this.registry.add(
    new Histogram(
      'keyward_agent_render_duration_seconds',
      'Time one render took, reads and writes included.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  );

  constructor() {
    this.ready.set(0);
    for (const outcome of ['success', 'failure']) this.renders.inc({ outcome }, 0);
    this.errors.inc({ stage: 'render' }, 0);
  }
}

/** `host:port`, `:port` or `port` → where to listen. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new KeywardError('usage', `agent: --listen ${text} is not host:port`);
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Starts listening; resolves with the server once it does (the port may be 0 in tests). */
export function serve(where: string, metrics: AgentMetrics, isReady: () => boolean): Promise<Server> {
  const { host, port } = parseListen(where);
  // loaded here: `--init` and the other keyward commands never need the HTTP server
  const server = process.getBuiltinModule('node:http').createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/readyz') {
      const ok = isReady();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'no complete render yet\n');
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(metrics.registry.text());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new KeywardError('io', `agent: cannot listen on ${host}:${port} (${err.code ?? 'error'})`)),
    );
    server.listen(port, host, () => resolve(server));
  });
}
