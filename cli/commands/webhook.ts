/**
 * `keyward webhook`: the mutating admission webhook that injects the keyward agent
 * into opted-in pods (sidecar/webhook/). Flags fall back to KEYWARD_WEBHOOK_*
 * environment variables, so a Deployment can configure it either way.
 */

import { Command } from 'commander';
import { webhookOptions } from '../../sidecar/webhook/options.js';
import { ConfigError } from '../../src/index.js';
import { stderrLogger } from '../context.js';
import { VERSION } from '../version.js';

interface WebhookFlags {
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  selfSignedHosts?: string;
  caOut?: string;
  agentImage?: string;
  vaultAddr?: string;
  authType?: string;
  authPath?: string;
  audience?: string;
  classic?: boolean;
  verbose?: boolean;
}

export const DEFAULT_AGENT_IMAGE = `ghcr.io/keyward/keyward:${VERSION}`;

const HELP = `
Pods opt in with the annotation keyward.io/inject: "true" and name their secrets with
keyward.io/secret-<name> (a placeholder such as <vault:secret/app#password>, or a path
for the whole secret as JSON). See the README's "In-cluster injector" section for every
annotation. The webhook makes no network call while admitting a pod.

Endpoints (HTTPS): POST /mutate, GET /healthz, GET /readyz, GET /metrics.

Environment (used when the flag is not given):
  KEYWARD_WEBHOOK_LISTEN, KEYWARD_WEBHOOK_TLS_CERT, KEYWARD_WEBHOOK_TLS_KEY,
  KEYWARD_AGENT_IMAGE, KEYWARD_WEBHOOK_VAULT_ADDR, KEYWARD_WEBHOOK_AUTH_TYPE,
  KEYWARD_WEBHOOK_AUTH_PATH, KEYWARD_WEBHOOK_AUDIENCE, KEYWARD_WEBHOOK_CLASSIC=true,
  KEYWARD_WEBHOOK_CERT_POLL (seconds between checks of the certificate files, default 5)

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 bad flags, unreadable certificates, or the
address cannot be listened on.`;

/** KEYWARD_WEBHOOK_CERT_POLL: seconds between checks of the certificate files (default 5). */
function certPollMs(text: string | undefined): number {
  const seconds = Number(text ?? '5');
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new ConfigError('webhook: KEYWARD_WEBHOOK_CERT_POLL must be seconds from 0.1 to 3600');
  }
  return seconds * 1000;
}

async function webhookAction(flags: WebhookFlags): Promise<void> {
  const env = process.env;
  const log = stderrLogger(flags.verbose ?? false);
  const options = webhookOptions(flags, env, DEFAULT_AGENT_IMAGE);
  // express and the certificate code load only here, not at every keyward start
  const { startWebhook } = await import('../../sidecar/webhook/run.js');
  const running = await startWebhook(
    options,
    {
      ...((flags.tlsCert ?? env.KEYWARD_WEBHOOK_TLS_CERT)
        ? { tlsCert: flags.tlsCert ?? env.KEYWARD_WEBHOOK_TLS_CERT }
        : {}),
      ...((flags.tlsKey ?? env.KEYWARD_WEBHOOK_TLS_KEY) ? { tlsKey: flags.tlsKey ?? env.KEYWARD_WEBHOOK_TLS_KEY } : {}),
      selfSigned: flags.selfSigned ?? false,
      ...(flags.selfSignedHosts ? { selfSignedHosts: flags.selfSignedHosts } : {}),
      ...(flags.caOut ? { caOut: flags.caOut } : {}),
    },
    flags.listen ?? env.KEYWARD_WEBHOOK_LISTEN ?? '0.0.0.0:8443',
    log,
    certPollMs(env.KEYWARD_WEBHOOK_CERT_POLL),
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`webhook: ${signal}, stopping`);
      running.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export function webhookCommand(): Command {
  return new Command('webhook')
    .description('run the mutating admission webhook that injects the keyward agent into opted-in pods')
    .option('--listen <[host:]port>', 'address to serve HTTPS on (default 0.0.0.0:8443)')
    .option('--tls-cert <file>', 'PEM certificate (chain) to serve; reloaded when it changes')
    .option('--tls-key <file>', 'PEM private key of --tls-cert; reloaded when it changes')
    .option('--self-signed', 'development: serve a certificate made in memory by a new CA')
    .option(
      '--self-signed-hosts <names>',
      'host names / IPs of the self-signed certificate (default localhost,127.0.0.1)',
    )
    .option('--ca-out <file>', 'with --self-signed: write the CA certificate (PEM) here, for caBundle')
    .option('--agent-image <ref>', `image of the injected agent (default ${DEFAULT_AGENT_IMAGE})`)
    .option('--vault-addr <url>', 'Vault/OpenBao address for pods that do not set keyward.io/vault-addr')
    .option('--auth-type <type>', 'how agents log in: kubernetes (default) or jwt')
    .option('--auth-path <path>', 'auth mount agents log in at (default auth/<auth-type>)')
    .option('--audience <aud>', 'audience of the projected service-account token (default vault)')
    .option('--classic', 'init container plus a classic sidecar, for clusters older than 1.29')
    .option('--verbose', 'log more')
    .addHelpText('after', HELP)
    .action(webhookAction);
}
