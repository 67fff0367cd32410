/**
 * Reading an opted-in pod's `keyward.io/…` annotations into an injection plan, with
 * no I/O. Names follow vault-k8s where they fit (`secret-<name>`, `template-<name>`,
 * `file-<name>`, `perms-<name>`, `role`, `auth-path`, `containers`, `requests-cpu`…).
 * Every problem is collected and reported at once; an unknown `keyward.io/` name is a
 * problem too, so a typo fails at admission instead of making a pod without secrets.
 */

import { ConfigError, isYes } from '../../src/index.js';
import type { ReloadSpec, SecretSpec } from '../contract.js';
import { modesOf, reloadOf, resourcesOf, seconds } from './annotation-values.js';
import { authTypeOf, DEFAULTS, type WebhookOptions } from './options.js';
import { type Container, type Pod, PREFIX } from './pod.js';
import { secretsOf } from './secret-annotations.js';

export interface Resources {
  requests: Record<string, string>;
  limits: Record<string, string>;
}

export interface InjectPlan {
  secrets: SecretSpec[];
  files: boolean;
  env: boolean;
  /** Core settings for the agent and the launcher. */
  settings: Record<string, string>;
  interval: number;
  reload?: ReloadSpec;
  /** The app containers that get the secrets (all by default). */
  containers: string[];
  classic: boolean;
  prePopulateOnly: boolean;
  initFirst: boolean;
  audience: string;
  sizeLimit: string;
  resources: Resources;
  runAsUser: number;
  /** `entrypoint-<container>`: the image's ENTRYPOINT, for env mode without `command`. */
  entrypoints: Record<string, string[]>;
}

const POD_LEVEL = new Set([
  'inject',
  'inject-status',
  'role',
  'auth-path',
  'auth-type',
  'vault-addr',
  'namespace',
  'ca-cert',
  'tls-skip-verify',
  'mode',
  'reload',
  'reload-process',
  'containers',
  'classic',
  'pre-populate-only',
  'init-first',
  'interval',
  'size-limit',
  'run-as-user',
  'requests-cpu',
  'requests-mem',
  'limits-cpu',
  'limits-mem',
  // read by `keyward render` / the Argo CD plugin, harmless here
  'ignore',
  'path',
  'secret-version',
  'remove-missing',
  'kv-version',
]);
const PER_SECRET = /^(secret|template|file|perms)-(.+)$/;

function flag(a: Record<string, string>, name: string, fallback: boolean, problems: string[]): boolean {
  const v = a[PREFIX + name];
  if (v === undefined) return fallback;
  if (isYes(v)) return true;
  if (['false', 'f', '0', 'no', 'off'].includes(v.trim().toLowerCase())) return false;
  problems.push(`${PREFIX}${name}: ${JSON.stringify(v)} is not true or false`);
  return fallback;
}

function selectedContainers(a: Record<string, string>, app: Container[], problems: string[]): string[] {
  const names = app.map((c) => c.name);
  const given = a[`${PREFIX}containers`];
  if (given === undefined) return names;
  const wanted = given
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length > 0 || wanted.length === 0) {
    problems.push(`${PREFIX}containers: ${unknown.join(', ') || '(empty)'} is not a container of this pod`);
  }
  return wanted.filter((n) => names.includes(n));
}

function settingsOf(a: Record<string, string>, options: WebhookOptions, problems: string[]): Record<string, string> {
  const get = (n: string) => a[PREFIX + n]?.trim() || undefined;
  const addr = (get('vault-addr') ?? options.vaultAddr)?.replace(/\/$/, '');
  if (!addr) problems.push(`${PREFIX}vault-addr: not set, and the webhook has no --vault-addr`);
  else if (!/^https?:\/\/[^/\s]+$/.test(addr))
    problems.push(`${PREFIX}vault-addr: ${addr} is not http(s)://host[:port]`);
  const role = get('role');
  if (!role) problems.push(`${PREFIX}role: the Vault role to log in with is required`);
  let auth = options.authType;
  try {
    auth = authTypeOf(get('auth-type') ?? options.authType, `${PREFIX}auth-type`);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const mount = (get('auth-path') ?? (get('auth-type') ? undefined : options.authPath) ?? `auth/${auth}`).replace(
    /^\/+|\/+$/g,
    '',
  );
  const settings: Record<string, string> = {
    VAULT_ADDR: addr ?? '',
    KEYWARD_VAULT_AUTH: auth,
    VAULT_ROLE: role ?? '',
    KEYWARD_VAULT_AUTH_MOUNT: mount,
    KEYWARD_VAULT_TOKEN_CACHE: 'off',
  };
  const ns = get('namespace');
  if (ns) settings.VAULT_NAMESPACE = ns;
  const ca = get('ca-cert');
  if (ca) settings.VAULT_CACERT = ca;
  if (flag(a, 'tls-skip-verify', false, problems)) settings.VAULT_SKIP_VERIFY = 'true';
  return settings;
}

/**
 * The user the app runs as, when the pod says and it is not root: the agent runs as
 * the same user by default, so a file with perms 0400 stays readable by the app.
 */
function appUser(pod: Pod & { spec: { containers: Container[] } }, selected: readonly string[]): number | undefined {
  const first = pod.spec.containers.find((c) => c.name === selected[0]);
  const uid = first?.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  return typeof uid === 'number' && uid > 0 ? uid : undefined;
}

/** The plan for an opted-in pod, or a ConfigError listing every problem. */
export function planOf(pod: Pod & { spec: { containers: Container[] } }, options: WebhookOptions): InjectPlan {
  const a = pod.metadata?.annotations ?? {};
  const problems: string[] = [];
  for (const key of Object.keys(a)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    if (!POD_LEVEL.has(name) && !PER_SECRET.test(name) && !/^entrypoint-.+$/.test(name)) {
      problems.push(`${key}: not a keyward annotation`);
    }
  }
  const containers = selectedContainers(a, pod.spec.containers, problems);
  const { files, env } = modesOf(a[`${PREFIX}mode`], problems);
  const secrets = secretsOf(a, problems);
  if (files && secrets.length === 0) problems.push(`${PREFIX}secret-<name>: files mode needs at least one secret`);
  if (!files && secrets.length > 0) problems.push(`${PREFIX}mode: secret annotations need files mode`);
  const interval = seconds(a[`${PREFIX}interval`], DEFAULTS.interval, `${PREFIX}interval`, problems);
  const reload = reloadOf(a, pod.spec.containers, containers, problems);
  const entrypoints: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(a)) {
    const m = /^keyward\.io\/entrypoint-(.+)$/.exec(key);
    if (!m?.[1]) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string')) {
      problems.push(`${key}: must be a JSON array of strings, e.g. ["/docker-entrypoint.sh","nginx"]`);
    } else entrypoints[m[1]] = parsed;
  }
  const runAsUser = Number(a[`${PREFIX}run-as-user`] ?? appUser(pod, containers) ?? DEFAULTS.runAsUser);
  if (!Number.isInteger(runAsUser) || runAsUser <= 0) {
    problems.push(`${PREFIX}run-as-user: must be a user id above 0 (the agent never runs as root)`);
  }
  const plan: InjectPlan = {
    secrets,
    files,
    env,
    settings: settingsOf(a, options, problems),
    interval,
    ...(reload ? { reload } : {}),
    containers,
    classic: flag(a, 'classic', options.classic, problems),
    prePopulateOnly: flag(a, 'pre-populate-only', false, problems),
    initFirst: flag(a, 'init-first', true, problems),
    audience: options.audience,
    sizeLimit: a[`${PREFIX}size-limit`]?.trim() || DEFAULTS.sizeLimit,
    resources: resourcesOf(a, problems),
    runAsUser,
    entrypoints,
  };
  if (problems.length > 0) throw new ConfigError(`keyward: ${problems.join('; ')}`);
  return plan;
}
