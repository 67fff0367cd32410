/**
 * `k8s` backend: `<k8s:namespace/name#key>` is a key of a Kubernetes Secret, read
 * with @kubernetes/client-node (`<k8s:name#key>` reads from the current context's
 * namespace, or KEYWARD_K8S_NAMESPACE). Values are given as text; a value that is not
 * UTF-8 text stays base64, so it can go into another Secret's `data` unchanged. Each
 * Secret is read once per render (the resolver dedupes); a missing Secret is a missing
 * reference, 401/403 are errors with a hint, 429/5xx and network errors are retried.
 * The API's error bodies are never passed on.
 */

import { type ConfigurationOptions, CoreV1Api, Observable, type RequestContext } from '@kubernetes/client-node';
import { BackendError, ConfigError } from '../../errors.js';
import type { Settings } from '../../settings.js';
import type { BackendInstance, BackendType, Context, ReadOptions, SettingSpec } from '../../types.js';
import { type ClusterAccess, loadAccess } from './kubeconfig.js';

const spec = (name: string, description: string): SettingSpec => ({
  name,
  description,
  secret: false,
  required: false,
});

const settings: readonly SettingSpec[] = [
  spec('KUBECONFIG', 'kubeconfig files (colon-separated); default: in-cluster, else ~/.kube/config'),
  spec('KEYWARD_K8S_CONTEXT', 'kubeconfig context to use instead of the current one'),
  spec('KEYWARD_K8S_NAMESPACE', 'namespace of <k8s:name#key> references that name none'),
  spec('KEYWARD_K8S_SERVICEACCOUNT_DIR', 'where the in-cluster service account is mounted'),
];

const NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `namespace/name` or `name` → its parts; throws on anything Kubernetes would not accept. */
export function secretRef(path: string): { namespace: string | undefined; name: string } {
  const parts = path.trim().split('/');
  const [first, second] = parts;
  const [namespace, name] = parts.length === 1 ? [undefined, first ?? ''] : [first ?? '', second ?? ''];
  if (parts.length > 2 || (namespace !== undefined && !NAMESPACE.test(namespace)) || !NAME.test(name))
    throw new ConfigError(`k8s: ${JSON.stringify(path)} is not namespace/name of a Secret`);
  return { namespace, name };
}

/** A Secret's `data` as text values (base64 kept for values that are not UTF-8). */
export function decodeData(data: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const out: Record<string, string> = {};
  for (const [key, encoded] of Object.entries(data ?? {})) {
    try {
      out[key] = strict.decode(Buffer.from(encoded, 'base64'));
    } catch {
      out[key] = encoded;
    }
  }
  return out;
}

/** Turns a client error into a BackendError that carries no body, header or value. */
function failure(err: unknown, where: string, server: string): BackendError | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 404) return undefined;
  if (code === 401) return new BackendError(`k8s: ${server} refused the credentials (401) reading ${where}`);
  if (code === 403)
    return new BackendError(`k8s: forbidden to get Secret ${where} (403); grant "get" on secrets in that namespace`);
  if (typeof code === 'number')
    return new BackendError(`k8s: ${server} answered ${code} reading ${where}`, {
      retryable: code === 429 || code >= 500,
    });
  const reason = typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
  return new BackendError(`k8s: cannot reach ${server} (${reason})`, { retryable: true });
}

class K8sBackend implements BackendInstance {
  private session: Promise<{ access: ClusterAccess; api: CoreV1Api }> | undefined;

  constructor(
    private readonly s: Settings,
    private readonly ctx: Context,
  ) {}

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const ref = secretRef(path);
    if (options.version !== undefined)
      throw new ConfigError(`k8s: Secrets have no versions (${path}#…#${options.version})`);
    const { access, api } = await this.connect();
    const namespace = ref.namespace ?? access.namespace;
    const where = `${namespace}/${ref.name}`;
    const server = access.config.getCurrentCluster()?.server ?? 'the API server';
    const signal = options.signal;
    // the request carries the reader's signal, so a timeout aborts it
    const configuration: ConfigurationOptions = {
      middleware: [
        {
          pre: (context: RequestContext) => {
            if (signal) context.setSignal(signal);
            return new Observable(Promise.resolve(context));
          },
          post: (context) => new Observable(Promise.resolve(context)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    try {
      const secret = await api.readNamespacedSecret({ name: ref.name, namespace }, configuration);
      this.ctx.log.debug(`k8s: read Secret ${where}`);
      return decodeData(secret.data);
    } catch (err) {
      const mapped = failure(err, where, server);
      if (mapped) throw mapped;
      return undefined;
    }
  }

  private connect(): Promise<{ access: ClusterAccess; api: CoreV1Api }> {
    this.session ??= (async () => {
      const access = await loadAccess(this.s, this.ctx);
      return { access, api: access.config.makeApiClient(CoreV1Api) };
    })();
    this.session.catch(() => {
      this.session = undefined;
    });
    return this.session;
  }
}

export const backend: BackendType<Settings> = {
  scheme: 'k8s',
  settings,
  configure: (s: Settings) => s,
  create: (s: Settings, ctx: Context) => new K8sBackend(s, ctx),
};
