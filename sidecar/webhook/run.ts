/**
 * Starting the webhook: certificates from files (reloaded when they change) or made
 * in memory (`--self-signed`), the HTTPS server on the listen address, and a clean
 * stop on SIGTERM / SIGINT: /readyz turns 503, the server stops accepting, requests
 * in flight finish, then the process exits 0.
 */

import { writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError, type Logger } from '../../src/index.js';
import { type CertPair, loadPair, watchPair } from './cert-files.js';
import { mutateRoute } from './mutate-route.js';
import type { WebhookOptions } from './options.js';
import { selfSigned } from './self-signed.js';
import { type AppState, httpsServer, type WebhookMetrics, webhookApp, webhookMetrics } from './server.js';

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  selfSignedHosts?: string;
  caOut?: string;
}

export interface RunningWebhook {
  server: Server;
  port: number;
  metrics: WebhookMetrics;
  stop(): Promise<void>;
}

export function listenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigError(`webhook: --listen ${JSON.stringify(text)} is not [host:]port`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

async function certificates(flags: TlsFlags, log: Logger): Promise<{ pair: CertPair; watched: boolean }> {
  if (flags.selfSigned) {
    if (flags.tlsCert || flags.tlsKey)
      throw new ConfigError('webhook: --self-signed and --tls-cert/--tls-key exclude each other');
    const hosts = (flags.selfSignedHosts ?? 'localhost,127.0.0.1')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
    const made = await selfSigned(hosts);
    if (flags.caOut) writeFileSync(flags.caOut, made.ca, { mode: 0o644 });
    log.warn(`webhook: serving a self-signed certificate for ${hosts.join(', ')} (development only)`);
    return { pair: { cert: Buffer.from(made.cert), key: Buffer.from(made.key) }, watched: false };
  }
  if (!flags.tlsCert || !flags.tlsKey) {
    throw new ConfigError('webhook: give --tls-cert and --tls-key (or --self-signed for development)');
  }
  return { pair: loadPair(flags.tlsCert, flags.tlsKey), watched: true };
}

export async function startWebhook(
  options: WebhookOptions,
  tls: TlsFlags,
  listen: string,
  log: Logger,
  certPollMs = 5_000,
): Promise<RunningWebhook> {
  const { host, port } = listenAddress(listen);
  const { pair, watched } = await certificates(tls, log);
  const metrics = webhookMetrics();
  const state: AppState = { ready: true };
  const server = httpsServer(webhookApp(metrics, state), pair, mutateRoute(options, log, metrics));
  const unwatch =
    watched && tls.tlsCert && tls.tlsKey
      ? watchPair(
          tls.tlsCert,
          tls.tlsKey,
          pair,
          (next) => {
            server.setSecureContext({ cert: next.cert, key: next.key });
            metrics.reloads.inc();
          },
          log,
          certPollMs,
        )
      : () => undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConfigError(`webhook: cannot listen on ${host}:${port} (${err.code ?? err.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  log.info(`webhook: listening on https://${host}:${bound} (agent image ${options.agentImage})`);
  const stop = async () => {
    state.ready = false;
    unwatch();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  };
  return { server, port: bound, metrics, stop };
}
