/**
 * What the webhook hands the in-pod programs, through the pod spec. It holds
 * references and settings only, never a secret value: anyone who can read the pod
 * may read it.
 *
 *   KEYWARD_AGENT_CONFIG     (agent containers)  JSON of AgentConfig
 *   KEYWARD_LAUNCH_SETTINGS  (env-mode app containers)  JSON of the core settings the
 *                            launcher resolves the container's env placeholders with
 */

export const AGENT_CONFIG_ENV = 'KEYWARD_AGENT_CONFIG';
export const LAUNCH_SETTINGS_ENV = 'KEYWARD_LAUNCH_SETTINGS';

/** Where the webhook mounts things, in the agent and in the app containers. */
export const PATHS = {
  /** The memory-backed folder the agent renders secrets into (read-only in the apps). */
  secrets: '/keyward/secrets',
  /** The disk folder the copy init container fills with the launcher (env mode). */
  bin: '/keyward/bin',
  /** The projected service-account token with the Vault audience. */
  tokenDir: '/var/run/secrets/keyward.io/serviceaccount',
  token: '/var/run/secrets/keyward.io/serviceaccount/token',
} as const;

/** The agent's HTTP port: `/readyz` (the startup probe passes after the first render) and `/metrics`. */
export const AGENT_PORT = 8099;

/** Whether a secret's `file` stays inside the secrets folder: relative, no `..`, no empty or `.` parts. */
export function isSafeRelative(file: string): boolean {
  if (file === '' || file.startsWith('/') || file.includes('\\') || file.includes('\0')) return false;
  return file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** One rendered file. */
export interface SecretSpec {
  /** The annotation's `<name>`: the name in logs and metrics. */
  name: string;
  /**
   * Text whose placeholders the core resolves: one placeholder (`<vault:secret/app#password>`),
   * a whole secret (`<vault:secret/app>`, written as JSON), or a template with several.
   */
  source: string;
  /** Path of the file relative to the secrets folder (no `..`, not absolute). */
  file: string;
  /** File mode, e.g. 0o400 (as a number). */
  mode: number;
}

export interface ReloadSpec {
  /** Signal sent after a re-render changed a file, e.g. `SIGHUP`. */
  signal: string;
  /** The process to signal: its executable's base name (`nginx`), found in /proc (shared process namespace). */
  process: string;
}

export interface AgentConfig {
  /** Core settings: VAULT_ADDR, KEYWARD_VAULT_AUTH, VAULT_ROLE, KEYWARD_VAULT_AUTH_MOUNT, token paths… */
  settings: Record<string, string>;
  /** The secrets folder (PATHS.secrets unless a test says otherwise). */
  dir: string;
  secrets: SecretSpec[];
  /** Seconds between re-reads in sidecar mode. */
  interval: number;
  reload?: ReloadSpec;
}
