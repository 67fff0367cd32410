/**
 * The webhook's own settings (flags or environment, see `keyward webhook --help`)
 * and the defaults an injected pod gets when its annotations say nothing.
 */

import { ConfigError, isYes } from '../../src/index.js';

export type AuthType = 'kubernetes' | 'jwt';

export interface WebhookOptions {
  /** Image of the injected agent (the keyward image). */
  agentImage: string;
  /** Vault address pods use unless they set `keyward.io/vault-addr`. */
  vaultAddr?: string;
  authType: AuthType;
  /** Auth mount; default `auth/<authType>`. */
  authPath?: string;
  /** Audience of the projected service-account token. */
  audience: string;
  /** Init container plus a classic sidecar, for clusters older than 1.29 (no native sidecars). */
  classic: boolean;
}

export const DEFAULTS = {
  /** Seconds between the agent's re-reads. */
  interval: 60,
  perms: 0o444,
  sizeLimit: '8Mi',
  binSizeLimit: '256Mi',
  tokenSeconds: 3600,
  runAsUser: 65532,
  requestsCpu: '10m',
  requestsMem: '32Mi',
  limitsCpu: '',
  limitsMem: '96Mi',
} as const;

export function authTypeOf(text: string, where: string): AuthType {
  const t = text.trim().toLowerCase();
  if (t === 'kubernetes' || t === 'jwt') return t;
  throw new ConfigError(`${where}: auth type ${JSON.stringify(text)} is not kubernetes or jwt`);
}

/** Options from flags, falling back to KEYWARD_WEBHOOK_* / KEYWARD_AGENT_IMAGE in `env`. */
export function webhookOptions(
  flags: Partial<Record<'agentImage' | 'vaultAddr' | 'authType' | 'authPath' | 'audience', string>> & {
    classic?: boolean;
  },
  env: Readonly<Record<string, string | undefined>>,
  defaultImage: string,
): WebhookOptions {
  const pick = (flag: string | undefined, name: string) => {
    const v = flag ?? env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const vaultAddr = pick(flags.vaultAddr, 'KEYWARD_WEBHOOK_VAULT_ADDR');
  if (vaultAddr && !/^https?:\/\/[^/\s]+\/?$/.test(vaultAddr)) {
    throw new ConfigError(`webhook: --vault-addr ${JSON.stringify(vaultAddr)} is not http(s)://host[:port]`);
  }
  const authPath = pick(flags.authPath, 'KEYWARD_WEBHOOK_AUTH_PATH');
  return {
    agentImage: pick(flags.agentImage, 'KEYWARD_AGENT_IMAGE') ?? defaultImage,
    ...(vaultAddr ? { vaultAddr: vaultAddr.replace(/\/$/, '') } : {}),
    authType: authTypeOf(pick(flags.authType, 'KEYWARD_WEBHOOK_AUTH_TYPE') ?? 'kubernetes', 'webhook'),
    ...(authPath ? { authPath: authPath.replace(/^\/+|\/+$/g, '') } : {}),
    audience: pick(flags.audience, 'KEYWARD_WEBHOOK_AUDIENCE') ?? 'vault',
    classic: flags.classic === true || isYes(env.KEYWARD_WEBHOOK_CLASSIC),
  };
}
