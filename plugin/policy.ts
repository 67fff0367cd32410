/**
 * Which references an app may resolve: an allow-list of `scheme:pattern` entries (a
 * tenant's `allow`, or KEYWARD_ALLOW for a single-team install), checked on every
 * reference of a render before anything is read. Patterns read like Vault policy
 * paths: `+` stands for one path segment, a trailing `*` for anything after it;
 * `{namespace}` is the app's destination namespace and `{project}` its Argo CD project.
 *
 * References are compared in a canonical form, never as written:
 *   vault:  the path without leading or trailing slashes (one with `.`, `..`, `//`, `%`,
 *           `?` or `#` is refused); a pattern with a `data` segment (KV v2) also
 *           matches the path written without it, as keyward reads both the same way;
 *   sops:   the file's real path (symlinks resolved) relative to the repository, which
 *           it must lie in;
 *   k8s:    `namespace/name`, the app's destination namespace when none is written;
 *   env:    the variable name.
 */

import { relative } from 'node:path';
import { ConfigError, isPlainVaultPath, type Reference, type ReferenceCheck } from '../src/index.js';
import { insideCheckout } from './checkout.js';

export interface PolicyScope {
  /** The app's destination namespace (ARGOCD_APP_NAMESPACE). */
  namespace: string | undefined;
  /** The app's Argo CD project (ARGOCD_APP_PROJECT_NAME). */
  project: string | undefined;
  /** The repository checkout (a real path). */
  root: string;
  /** The app's folder (a real path), where relative `<sops:…>` paths start. */
  dir: string;
  /** Whose list it is, for messages: `tenant team-a`, or `this app (KEYWARD_ALLOW)`. */
  owner: string;
}

/** What a single-team install may read when the operator sets no KEYWARD_ALLOW. */
export const DEFAULT_ALLOW = ['vault:*', 'sops:*', 'k8s:{namespace}/*'];

const SCHEMES = ['vault', 'sops', 'k8s', 'env', 'memory'];

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pattern's path as a regular expression: `+` one segment, a trailing `*` the rest. */
function globRegex(glob: string, entry: string): string {
  const star = glob.endsWith('*');
  const body = star ? glob.slice(0, -1) : glob;
  if (body.includes('*')) throw new ConfigError(`argocd: allow entry ${entry}: * may only end a pattern`);
  const segments = body
    .split('/')
    .map((s, i, all) => (s === '+' && (i < all.length - 1 || !star) ? '[^/]+' : escapeRegex(s)));
  return `^${segments.join('/')}${star ? '.*' : ''}$`;
}

interface Rule {
  scheme: string;
  tests: RegExp[];
}

function compile(entry: string, scope: PolicyScope): Rule | undefined {
  const colon = entry.indexOf(':');
  const scheme = entry.slice(0, colon).trim();
  if (colon < 0 || !SCHEMES.includes(scheme))
    throw new ConfigError(`argocd: allow entry ${JSON.stringify(entry)} is not scheme:pattern (${SCHEMES.join(', ')})`);
  let glob = entry.slice(colon + 1).trim();
  for (const [name, value] of [
    ['{namespace}', scope.namespace],
    ['{project}', scope.project],
  ] as const) {
    if (!glob.includes(name)) continue;
    // without a namespace (or project) such a pattern allows nothing
    if (!value) return undefined;
    glob = glob.split(name).join(value);
  }
  const globs = [glob];
  const parts = glob.split('/');
  const data = parts.indexOf('data', 1);
  if (scheme === 'vault' && data > 0) globs.push(parts.filter((_, i) => i !== data).join('/'));
  return { scheme, tests: globs.map((g) => new RegExp(globRegex(g, entry))) };
}

/** The reference's canonical path; a ConfigError says why it has none. */
function canonical(ref: Reference, scope: PolicyScope): string {
  const written = `${ref.scheme}:${ref.path.trim()}`;
  const path = ref.path.trim();
  if (ref.scheme === 'vault') {
    const plain = path.replace(/^\/+|\/+$/g, '');
    if (!isPlainVaultPath(plain)) throw new ConfigError(`argocd: ${written} is not a plain Vault path`);
    return plain;
  }
  if (ref.scheme === 'sops') {
    const real = insideCheckout(path, scope.dir, scope.root, written);
    // the checkout itself is a folder, never a SOPS file
    if (real === scope.root) throw new ConfigError(`argocd: ${written} lies outside the repository`);
    return relative(scope.root, real);
  }
  if (ref.scheme === 'k8s' && !path.includes('/')) {
    if (!scope.namespace)
      throw new ConfigError(`argocd: ${written} names no namespace, and the app has no destination namespace`);
    return `${scope.namespace}/${path}`;
  }
  return path;
}

/** The check a render runs on each reference before reading anything. */
export function referencePolicy(entries: readonly string[], scope: PolicyScope): ReferenceCheck {
  const rules = entries.map((e) => compile(e, scope)).filter((r): r is Rule => r !== undefined);
  return (ref) => {
    let path: string;
    try {
      path = canonical(ref, scope);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    if (rules.some((r) => r.scheme === ref.scheme && r.tests.some((t) => t.test(path)))) return undefined;
    const list = entries.length > 0 ? entries.join(', ') : 'nothing';
    return `argocd: ${ref.scheme}:${path} is not allowed for ${scope.owner} (allowed: ${list})`;
  };
}
