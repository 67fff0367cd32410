/**
 * Settings: the one flat map of names to strings that every surface builds from its
 * own inputs (CLI flags and environment, ARGOCD_ENV_* for the plugin, pod annotations
 * for the sidecar). The core reads configuration only from here, never from
 * process.env, so every surface and every test is hermetic.
 */

import { ConfigError } from './errors.js';

/** A yes/no setting or parameter: 1, t, true, yes or on (any case) mean yes; anything else no. */
export const isYes = (value: string | undefined): boolean =>
  value !== undefined && ['1', 't', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());

export class Settings {
  private readonly values: ReadonlyMap<string, string>;

  constructor(values: Iterable<readonly [string, string]> = []) {
    this.values = new Map(values);
  }

  /** Builds settings from an environment-like record, dropping undefined entries. */
  static fromRecord(record: Readonly<Record<string, string | undefined>>): Settings {
    const entries: [string, string][] = [];
    for (const [name, value] of Object.entries(record)) {
      if (value !== undefined) entries.push([name, value]);
    }
    return new Settings(entries);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The first of `names` that is set to a non-empty value. */
  first(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.values.get(name);
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') throw new ConfigError(`settings: ${name} is required`);
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Whether the first of `names` that is set says yes (see isYes). */
  flag(...names: string[]): boolean {
    return isYes(this.first(...names));
  }

  /** The entries of a comma- or newline-separated list setting, trimmed; undefined when it is not set. */
  list(name: string): string[] | undefined {
    return this.first(name)
      ?.split(/[,\n]/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  }

  /** The whole number > 0 `name` holds, else `fallback`; anything else is an error naming the setting. */
  positive(name: string, fallback: number): number {
    const text = this.first(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new ConfigError(`settings: ${name} must be a whole number > 0`);
    return value;
  }

  /** A copy with `extra` layered on top. */
  with(extra: Iterable<readonly [string, string]>): Settings {
    const merged = new Map(this.values);
    for (const [name, value] of extra) merged.set(name, value);
    return new Settings(merged);
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}

/**
 * KEYWARD_AMBIENT_CREDENTIALS: whether key providers may use credentials the machine
 * provides implicitly (default files such as `~/.vault-token`, `~/.ssh/id_ed25519` or
 * gcloud's application default credentials, the default gpg keyring, the AWS SDK's
 * provider chain, the GCE metadata server). Unset or empty means yes; otherwise isYes
 * decides, so `off`, `false`, `no`, `0` (and any other word) turn it off.
 */
export const AMBIENT_CREDENTIALS = 'KEYWARD_AMBIENT_CREDENTIALS';

/** Whether KEYWARD_AMBIENT_CREDENTIALS lets providers use implicit machine credentials. */
export function ambientCredentials(settings: Settings): boolean {
  const value = settings.first(AMBIENT_CREDENTIALS);
  return value === undefined || isYes(value);
}

interface OriginRule {
  protocol: string;
  /** Lowercase host without a trailing dot; for `*.` entries the suffix with its leading dot. */
  host: string;
  wildcard: boolean;
  port: string;
  /** A path prefix without trailing slash, or '' for any path. */
  path: string;
}

/** Raw text a URL parser would silently drop or reinterpret: a backslash, a space or a control character. */
const unsafeText = (text: string): boolean =>
  [...text].some((char) => char === '\\' || char <= ' ' || (char >= '\x7f' && char <= '\x9f'));

const effectivePort = (url: URL): string => url.port || (url.protocol === 'https:' ? '443' : '80');
const bareHost = (url: URL): string => url.hostname.replace(/\.$/, '');
const plainLabels = (host: string): boolean => host !== '' && host.split('.').every((label) => label !== '');

/** An http(s) URL without userinfo, or undefined. */
function httpUrl(text: string): URL | undefined {
  if (unsafeText(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.username === '' && url.password === '' ? url : undefined;
}

function parseRule(entry: string, setting: string): OriginRule {
  const url = httpUrl(entry);
  const host = url ? bareHost(url) : '';
  const wildcard = host.startsWith('*.');
  const rest = wildcard ? host.slice(2) : host;
  const extra = `${url?.search ?? ''}${url?.hash ?? ''}`;
  if (!url || extra !== '' || rest.includes('*') || !plainLabels(rest)) {
    throw new ConfigError(
      `settings: ${setting} entry ${JSON.stringify(entry)} is not an http(s) URL (scheme://host[:port][/path], host may start with *.)`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { protocol: url.protocol, host: wildcard ? `.${rest}` : rest, wildcard, port: effectivePort(url), path };
}

function ruleMatches(rule: OriginRule, url: URL): boolean {
  const host = bareHost(url);
  if (url.protocol !== rule.protocol || effectivePort(url) !== rule.port) return false;
  if (rule.wildcard ? !host.endsWith(rule.host) : host !== rule.host) return false;
  if (rule.path === '') return true;
  // an encoded character could turn into a separator or a dot segment on the server
  if (url.pathname.includes('%')) return false;
  return url.pathname === rule.path || url.pathname.startsWith(`${rule.path}/`);
}

/**
 * Whether an allow-list lets keyward send a request (and credentials) to `candidate`.
 * The list is `all`, `none`, or comma-separated http(s) URL entries, compared as parsed
 * URLs, never as text: scheme, host and port must be equal (an absent port is the
 * scheme's default, 443 or 80); an entry host `*.example.com` matches any subdomain of
 * example.com, not example.com itself; an entry with a path matches only candidate
 * paths equal to it or under it at a `/` (and without percent-encoding). Hosts compare
 * as the URL parser normalises them (lowercase, IDNA, IPv4/IPv6 forms), a trailing dot
 * ignored. A candidate with userinfo, another scheme, a backslash, whitespace or a
 * control character, or that does not parse, is never allowed, not even by `all`. An
 * empty list allows nothing; a malformed entry is a ConfigError naming `setting`.
 */
export function originAllowed(candidate: string, list: string, setting = 'the allow-list'): boolean {
  const url = httpUrl(candidate);
  if (!url || bareHost(url).includes('*') || !plainLabels(bareHost(url))) return false;
  const rule = list.trim().toLowerCase();
  if (rule === 'all') return true;
  if (rule === 'none') return false;
  const rules = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseRule(entry, setting));
  return rules.some((r) => ruleMatches(r, url));
}
