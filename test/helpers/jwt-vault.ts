/**
 * A Vault dev server of its own (the rig's binary) set up for the in-pod agent's
 * jwt login, as a cluster with OIDC-style validation would be: `auth/jwt` trusts the
 * public key of a key pair made here, role `app` accepts a service-account-style
 * token (audience `vault`, subject `system:serviceaccount:demo:app`) and grants a
 * policy reading `secret/data/app/*`. It can be stopped and started again on the
 * same port with the same root token; a dev server keeps nothing, so `start`
 * re-seeds the auth setup and the secrets written so far (and the agent must log in
 * again). `serviceAccountJwt` signs tokens with node:crypto.
 */

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { join } from 'node:path';
import { toolPath } from '../rig/paths.js';
import { freePort, type RunningServer, startServer, stopServer, waitUntilReady } from '../rig/servers.js';
import { vaultCaller } from './vault.js';

export const SUBJECT = 'system:serviceaccount:demo:app';
export const ROLE = 'app';

/** The core settings of a jwt login to this Vault with the token in `tokenFile` (as the webhook writes them). */
export const jwtLogin = (addr: string, tokenFile: string): Record<string, string> => ({
  VAULT_ADDR: addr,
  KEYWARD_VAULT_AUTH: 'jwt',
  KEYWARD_VAULT_AUTH_MOUNT: 'auth/jwt',
  VAULT_ROLE: ROLE,
  KEYWARD_VAULT_JWT_FILE: tokenFile,
});

export interface JwtVault {
  addr: string;
  token: string;
  /** Writes KV v2 data under `secret/` (kept for the next start). */
  write(path: string, data: Record<string, unknown>): Promise<void>;
  /** A service-account-style JWT signed by the trusted key. */
  serviceAccountJwt(claims?: Record<string, unknown>): string;
  /** Sets role options on top of the defaults (e.g. token_ttl), now and at every start. */
  setRole(options: Record<string, unknown>): Promise<void>;
  /** Calls Vault as root. */
  admin(path: string, body?: object): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

export async function startJwtVault(work: string): Promise<JwtVault> {
  const port = await freePort();
  const token = `root-${randomUUID()}`;
  const addr = `http://127.0.0.1:${port}`;
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secrets = new Map<string, Record<string, unknown>>();
  let server: RunningServer | undefined;
  let starts = 0;
  let roleOptions: Record<string, unknown> = {};

  const call = vaultCaller(
    () => addr,
    () => token,
  );

  const putRole = () =>
    call(`auth/jwt/role/${ROLE}`, {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_subject: SUBJECT,
      bound_audiences: ['vault'],
      token_policies: ['app-read'],
      ...roleOptions,
    });

  const vault: JwtVault = {
    addr,
    token,
    async setRole(options) {
      roleOptions = options;
      await putRole();
    },
    admin: async (path, body) => {
      await call(path, body);
    },
    async write(path, data) {
      secrets.set(path, data);
      if (server) await call(`secret/data/${path}`, { data });
    },
    serviceAccountJwt(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const body = `${part({ alg: 'ES256', typ: 'JWT', kid: 'test' })}.${part({
        iss: 'https://kubernetes.default.svc.cluster.local',
        sub: SUBJECT,
        aud: ['vault'],
        iat: now,
        nbf: now,
        exp: now + 600,
        'kubernetes.io': { namespace: 'demo', serviceaccount: { name: 'app', uid: randomUUID() } },
        ...claims,
      })}`;
      // JWS ES256 wants the raw r||s signature, not DER
      const signature = sign('sha256', Buffer.from(body), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
      return `${body}.${signature.toString('base64url')}`;
    },
    async start() {
      starts++;
      server = startServer(
        `vault dev server for the agent (start ${starts})`,
        toolPath('rig-vault'),
        ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`],
        { HOME: work, VAULT_ADDR: addr, SKIP_SETCAP: '1' },
        join(work, `jwt-vault-${starts}.log`),
      );
      const running = server;
      await waitUntilReady(running, async () => (await fetch(`${addr}/v1/sys/health`)).status === 200);
      await call('sys/auth/jwt', { type: 'jwt' });
      const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await call('auth/jwt/config', { jwt_validation_pubkeys: [pem] });
      await call('sys/policies/acl/app-read', {
        policy:
          'path "secret/data/app/*" { capabilities = ["read"] }\npath "sys/internal/ui/mounts/*" { capabilities = ["read"] }',
      });
      await putRole();
      for (const [path, data] of secrets) await call(`secret/data/${path}`, { data });
    },
    async stop() {
      if (server) await stopServer(server);
      server = undefined;
    },
    running: () => server !== undefined,
  };
  await vault.start();
  return vault;
}
