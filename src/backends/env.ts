/**
 * `env` backend: `<env:NAME>` is the value of the setting (for the CLI, the
 * environment variable) NAME, for local development and CI. The credentials keyward
 * itself reads (Vault tokens, AVP and cloud credentials, SOPS keys) are refused
 * unless KEYWARD_ENV_ALLOW names them, so a manifest cannot copy the renderer's own
 * credentials into its output. KEYWARD_ENV_ALLOW (comma-separated names, or prefixes
 * ending in `*`) limits the backend to those names.
 */

import { BackendError } from '../errors.js';
import type { Settings } from '../settings.js';
import type { BackendInstance, BackendType, SettingSpec } from '../types.js';

interface EnvConfig {
  settings: Settings;
  /** Names and `PREFIX*` patterns allowed; undefined = every name but the credentials. */
  allow: string[] | undefined;
}

/** Variables that carry keyward's own credentials. */
const CREDENTIALS = [
  /^VAULT_(TOKEN|CLIENT_KEY|CLIENT_CERT|ROLE_ID|SECRET_ID|PASSWORD)$/,
  /^AVP_/,
  /^AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN|ACCESS_KEY_ID)$/,
  /^AZURE_(CLIENT_SECRET|ACCESS_TOKEN)$/,
  /^GOOGLE_(CREDENTIALS|OAUTH_ACCESS_TOKEN|APPLICATION_CREDENTIALS)$/,
  /^SOPS_AGE_(KEY|KEY_FILE|KEY_CMD|SSH_PRIVATE_KEY_FILE|SSH_PRIVATE_KEY_CMD)$/,
  /^KEYWARD_/,
];

const matches = (name: string, pattern: string): boolean =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

const settings: readonly SettingSpec[] = [
  {
    name: 'KEYWARD_ENV_ALLOW',
    required: false,
    secret: false,
    description: 'names (or PREFIX*) that <env:NAME> may read; default: all but credentials',
  },
];

export const backend: BackendType<EnvConfig> = {
  scheme: 'env',
  settings,

  configure(s: Settings): EnvConfig {
    return { settings: s, allow: s.list('KEYWARD_ENV_ALLOW') };
  },

  create(config: EnvConfig): BackendInstance {
    return {
      async read(path: string): Promise<unknown> {
        const name = path.trim();
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
          throw new BackendError(`env: ${JSON.stringify(name)} is not a variable name`);
        const allowed = config.allow
          ? config.allow.some((p) => matches(name, p))
          : !CREDENTIALS.some((pattern) => pattern.test(name));
        if (!allowed) {
          throw new BackendError(
            `env: ${name} may not be read (credentials are refused; KEYWARD_ENV_ALLOW can allow it)`,
          );
        }
        return config.settings.get(name);
      },
    };
  },
};
