/**
 * Reading a path the way users write it: `secret/app` works on a KV v2 mount (the
 * `data/` segment is added), `secret/data/app` works too, KV v1 paths read as they
 * are, and any other logical path (dynamic credentials, `totp/code/x`) is read raw.
 * The mount and its KV version come from `sys/internal/ui/mounts/<path>` once per
 * mount; AVP_KV_VERSION (or a forced version) skips the lookup, as AVP does.
 */

import { BackendError } from '../../errors.js';
import type { Logger, ReadOptions } from '../../types.js';
import type { VaultClient } from './client.js';
import type { Leases } from './leases.js';

interface Mount {
  /** `secret/` (with the slash), or '' when unknown. */
  path: string;
  /** 1 or 2 for KV mounts, 0 for anything else. */
  kv: 0 | 1 | 2;
}

const controls = (text: string): boolean => [...text].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f');

/**
 * Whether a Vault path reads what it says: no `.` or `..` segments (also
 * percent-encoded, which URL parsing decodes), no empty ones, no query or fragment.
 * Otherwise `secret/team-a/../team-b/x` would read another path than the one written,
 * and allow-lists are checked on the path as written.
 */
export function isPlainVaultPath(path: string): boolean {
  return (
    path !== '' &&
    !/[?#%\\]/.test(path) &&
    !controls(path) &&
    !path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  );
}

function checkPath(path: string): void {
  if (!isPlainVaultPath(path))
    throw new BackendError(`vault: ${JSON.stringify(path)} is not a plain Vault path (no ., .., //, %, ?, #, \\)`);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class KvReader {
  private readonly mounts = new Map<string, Promise<Mount>>();

  constructor(
    private readonly client: VaultClient,
    /** 1 or 2 forces the KV version for every path (AVP_KV_VERSION); undefined detects it. */
    private readonly forced: 1 | 2 | undefined,
    private readonly log: Logger,
    /** Leases held across reads (a long-lived backend). */
    private readonly leases?: Leases,
  ) {}

  /**
   * The secret's data, or undefined when it does not exist. A version on a KV v1 mount
   * is an error, except in AVP's syntax, where AVP ignores it: so does keyward, with a warning.
   */
  async read(path: string, options: ReadOptions = {}): Promise<unknown> {
    const { version, signal, kvVersion } = options;
    const clean = path.replace(/^\/+|\/+$/g, '');
    checkPath(clean);
    const mount = await this.mountOf(clean, signal, kvVersion);
    if (mount.kv === 2) return this.readV2(clean, mount.path, version, signal);
    if (version !== undefined && mount.kv === 1) {
      if (!options.avp) throw new BackendError(`vault: ${clean}: versions need a KV version 2 mount`);
      this.log.warn(
        `vault: ${clean} is on a KV version 1 mount, which keeps no versions: version ignored, as AVP does`,
      );
    }
    const held = await this.leases?.fresh(clean, signal);
    if (held) return held.data;
    const reply = await this.client.request('GET', clean, undefined, signal);
    this.leases?.remember(clean, reply);
    return reply?.data;
  }

  private async readV2(path: string, mount: string, version: string | undefined, signal?: AbortSignal) {
    const rest = mount && path.startsWith(mount) ? path.slice(mount.length) : path;
    const logical = mount === '' || rest.startsWith('data/') ? path : `${mount}data/${rest}`;
    if (version !== undefined && !/^\d+$/.test(version)) {
      throw new BackendError(`vault: ${path}: version ${JSON.stringify(version)} is not a number`);
    }
    const query = version !== undefined ? `?version=${version}` : '';
    const reply = await this.client.request('GET', `${logical}${query}`, undefined, signal);
    const data = isMap(reply?.data) ? reply.data.data : undefined;
    // a deleted or destroyed version answers with data: null
    return data === null ? undefined : data;
  }

  private mountOf(path: string, signal?: AbortSignal, kvVersion?: 1 | 2): Promise<Mount> {
    const forced = kvVersion ?? this.forced;
    if (forced !== undefined) {
      const first = path.split('/')[0] ?? '';
      return Promise.resolve({ path: `${first}/`, kv: forced });
    }
    const head = path.split('/')[0] ?? '';
    let pending = this.mounts.get(head);
    if (!pending) {
      pending = this.lookup(path, signal);
      this.mounts.set(head, pending);
      pending.catch(() => this.mounts.delete(head));
    }
    return pending.then(async (mount) =>
      mount.path === '' || path.startsWith(mount.path) ? mount : this.lookup(path, signal),
    );
  }

  private async lookup(path: string, signal?: AbortSignal): Promise<Mount> {
    let reply: Awaited<ReturnType<VaultClient['request']>>;
    try {
      reply = await this.client.request('GET', `sys/internal/ui/mounts/${path}`, undefined, signal);
    } catch (err) {
      // a token without access to the UI endpoint: read the path as written
      if (err instanceof BackendError && !err.retryable) return { path: '', kv: 0 };
      throw err;
    }
    const data = isMap(reply?.data) ? reply.data : {};
    const type = data.type;
    const options = isMap(data.options) ? data.options : {};
    const mountPath = typeof data.path === 'string' ? data.path : '';
    if (type !== 'kv' && type !== 'generic') return { path: mountPath, kv: 0 };
    return { path: mountPath, kv: options.version === '2' ? 2 : 1 };
  }
}
