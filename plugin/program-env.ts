/**
 * The environment of the programs the plugin runs for an app (helm, kustomize, gpg, an
 * age key command): an allow-list, never the sidecar's whole environment. Those
 * programs read the app's files, and some fill values from their environment (a
 * kustomize env file line `NAME` without `=` takes NAME's value from it), so the
 * sidecar's credentials must not be there for an app to print. Passed on: the process
 * basics (PATH, HOME, temporary folder, locale, time zone), TLS trust and proxies,
 * and the folders helm and kustomize keep their caches, configs and plugins in. The
 * operator may pass more names with KEYWARD_PROGRAM_ENV (comma-separated), at their own
 * risk. Settings a program needs from keyward (GNUPGHOME for gpg) are given per run.
 */

import type { Settings } from '../src/index.js';

type Env = Readonly<Record<string, string | undefined>>;

const PASSED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'HELM_CACHE_HOME',
  'HELM_CONFIG_HOME',
  'HELM_DATA_HOME',
  'HELM_PLUGINS',
  'HELM_REGISTRY_CONFIG',
  'HELM_REPOSITORY_CACHE',
  'HELM_REPOSITORY_CONFIG',
  'KUSTOMIZE_PLUGIN_HOME',
]);

/** The environment for programs run for an app: the allow-listed names of `env` (the sidecar's). */
export function programEnv(env: Env, operator: Settings): Record<string, string> {
  const names = new Set([...PASSED, ...(operator.list('KEYWARD_PROGRAM_ENV') ?? [])]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && names.has(name)) out[name] = value;
  return out;
}
