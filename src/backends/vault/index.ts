/**
 * `vault` backend (HashiCorp Vault and OpenBao): `<vault:secret/app#password>` and
 * AVP's `<path:secret/data/app#password>`. KV v1 and v2 with auto-detection, versions
 * (`#key#3`), any other logical path read raw (dynamic secrets). Connection settings
 * are Vault's own: VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY;
 * logins are in auth.ts, the token's life (renewal, logging in again) in session.ts,
 * the token cache in token-cache.ts. Logging in happens at the first read, so a
 * render without Vault placeholders never talks to Vault. A read Vault denies is
 * retried once after a fresh login (a cached or revoked token, a restarted Vault).
 */

import { BackendError, ConfigError } from '../../errors.js';
import type { Settings } from '../../settings.js';
import type { BackendInstance, BackendType, Context, ReadOptions, SettingSpec } from '../../types.js';
import { type LoginPlan, loginPlan } from './auth.js';
import { VaultClient, type VaultConnection } from './client.js';
import { KvReader } from './kv.js';
import { Leases } from './leases.js';
import { TokenSession } from './session.js';

interface VaultConfig {
  connection: Omit<VaultConnection, 'ca'> & { caFile?: string };
  plan: LoginPlan;
  kvVersion: 1 | 2 | undefined;
  settings: Settings;
}

const spec = (name: string, description: string, secret = false, required = false): SettingSpec => ({
  name,
  description,
  secret,
  required,
});

const settings: readonly SettingSpec[] = [
  spec('VAULT_ADDR', 'address of Vault or OpenBao, e.g. https://vault.example:8200', false, true),
  spec('VAULT_TOKEN', 'token for the token login', true),
  spec('VAULT_NAMESPACE', 'Vault Enterprise / OpenBao namespace'),
  spec('VAULT_CACERT', 'PEM file of the CA that signed Vault’s certificate'),
  spec('VAULT_SKIP_VERIFY', 'true: do not check Vault’s certificate (testing only)'),
  spec('KEYWARD_VAULT_AUTH', 'token, approle, userpass, kubernetes, jwt (AVP_AUTH_TYPE)'),
  spec('KEYWARD_VAULT_AUTH_MOUNT', 'auth mount when not auth/<method> (AVP_MOUNT_PATH)'),
  spec('AVP_KV_VERSION', '1 or 2: skip detecting the KV version'),
  spec('KEYWARD_VAULT_TOKEN_CACHE', 'folder for cached login tokens, or off'),
];

class VaultBackend implements BackendInstance {
  private readonly client: VaultClient;
  private readonly session: TokenSession;
  private readonly leases: Leases;
  /** The KV reader of the current login (a new login starts with a fresh mount cache). */
  private kv: { generation: number; reader: KvReader } | undefined;
  /** Settles once VAULT_CACERT (if any) is read into the connection. */
  private readonly caLoaded: Promise<void>;

  constructor(
    private readonly config: VaultConfig,
    private readonly ctx: Context,
    ca: Promise<string | undefined>,
  ) {
    this.client = new VaultClient({ ...config.connection }, ctx);
    this.session = new TokenSession(this.client, config.plan, config.settings, ctx);
    this.leases = new Leases(this.client, ctx);
    this.caLoaded = ca.then((pem) => {
      if (pem) Object.assign(this.client.connection, { ca: pem });
    });
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    await this.caLoaded;
    const generation = await this.session.ready();
    try {
      return await this.reader(generation).read(path, options);
    } catch (err) {
      if (!(err instanceof BackendError) || !/permission denied/.test(err.message)) throw err;
      // perhaps a token that was revoked, expired early, or a Vault that restarted: once more after a fresh login
      if (!(await this.session.denied(generation))) throw err;
      return this.reader(await this.session.ready()).read(path, options);
    }
  }

  refreshIn(): number | undefined {
    return this.leases.refreshIn();
  }

  private reader(generation: number): KvReader {
    if (this.kv?.generation !== generation) {
      this.kv = { generation, reader: new KvReader(this.client, this.config.kvVersion, this.ctx.log, this.leases) };
    }
    return this.kv.reader;
  }
}

export const backend: BackendType<VaultConfig> = {
  scheme: 'vault',
  settings,

  configure(s: Settings): VaultConfig {
    const address = s.first('VAULT_ADDR')?.trim().replace(/\/+$/, '');
    if (!address) throw new ConfigError('vault: VAULT_ADDR is not set');
    if (!/^https?:\/\/[^/]+$/.test(address))
      throw new ConfigError(`vault: VAULT_ADDR ${JSON.stringify(address)} is not http(s)://host[:port]`);
    const kv = s.first('AVP_KV_VERSION', 'KEYWARD_VAULT_KV_VERSION');
    if (kv !== undefined && kv !== '1' && kv !== '2') throw new ConfigError('vault: AVP_KV_VERSION must be 1 or 2');
    const namespace = s.first('VAULT_NAMESPACE');
    const caFile = s.first('VAULT_CACERT');
    return {
      connection: {
        address,
        insecure: s.flag('VAULT_SKIP_VERIFY'),
        ...(namespace ? { namespace } : {}),
        ...(caFile ? { caFile } : {}),
      },
      plan: loginPlan(s),
      kvVersion: kv === undefined ? undefined : kv === '1' ? 1 : 2,
      settings: s,
    };
  },

  create(config: VaultConfig, ctx: Context): BackendInstance {
    const file = config.connection.caFile;
    const ca = file
      ? ctx.readFile(file).then(
          (bytes) => new TextDecoder().decode(bytes),
          () => {
            throw new ConfigError(`vault: cannot read VAULT_CACERT ${file}`);
          },
        )
      : Promise.resolve(undefined);
    return new VaultBackend(config, ctx, ca);
  },
};
