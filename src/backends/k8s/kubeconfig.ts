/**
 * Where the `k8s` backend finds its cluster, in kubectl's order: the kubeconfig files
 * KUBECONFIG lists (merged, the first one's current context wins), else the pod's
 * service account when KUBERNETES_SERVICE_HOST is set (in-cluster, as in Argo CD's
 * repo-server), else ~/.kube/config. KEYWARD_K8S_CONTEXT picks another context.
 * Files are read through the Context; certificate and token files named inside a
 * kubeconfig are read by the client library when it connects.
 */

import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../../errors.js';
import type { Settings } from '../../settings.js';
import type { Context } from '../../types.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A loaded cluster connection and the namespace of references that name none. */
export interface ClusterAccess {
  config: KubeConfig;
  /** Where the configuration came from, for messages. */
  source: string;
  namespace: string;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function fromFiles(files: readonly string[], ctx: Context): Promise<KubeConfig> {
  let merged: KubeConfig | undefined;
  for (const file of files) {
    let content: string;
    try {
      content = text(await ctx.readFile(file));
    } catch {
      throw new ConfigError(`k8s: cannot read kubeconfig ${file}`);
    }
    const one = new KubeConfig();
    try {
      one.loadFromString(content);
    } catch {
      throw new ConfigError(`k8s: ${file} is not a valid kubeconfig`);
    }
    one.makePathsAbsolute(dirname(file));
    if (merged) merged.mergeConfig(one, true);
    else merged = one;
  }
  if (!merged) throw new ConfigError('k8s: KUBECONFIG names no file');
  return merged;
}

async function inCluster(s: Settings, ctx: Context): Promise<{ config: KubeConfig; namespace?: string }> {
  const host = s.first('KUBERNETES_SERVICE_HOST') ?? '';
  const port = s.first('KUBERNETES_SERVICE_PORT') ?? '443';
  const dir = s.first('KEYWARD_K8S_SERVICEACCOUNT_DIR') ?? SERVICE_ACCOUNT_DIR;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const namespace = await ctx.readFile(join(dir, 'namespace')).then(
    (b) => text(b).trim(),
    () => undefined,
  );
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    // the token file is read again as it rotates (projected service account tokens)
    users: [
      { name: 'service-account', authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account', namespace }],
    currentContext: 'in-cluster',
  });
  return namespace ? { config, namespace } : { config };
}

/** Loads the cluster connection the settings describe (I/O: reads the kubeconfig). */
export async function loadAccess(s: Settings, ctx: Context): Promise<ClusterAccess> {
  const list = s.first('KUBECONFIG');
  const home = s.first('HOME');
  let config: KubeConfig;
  let source: string;
  if (list) {
    const files = list.split(':').filter((f) => f !== '');
    config = await fromFiles(files, ctx);
    source = files.join(':');
  } else if (s.first('KUBERNETES_SERVICE_HOST')) {
    const found = await inCluster(s, ctx);
    config = found.config;
    source = 'the in-cluster service account';
  } else if (home) {
    source = join(home, '.kube', 'config');
    config = await fromFiles([source], ctx);
  } else {
    throw new ConfigError('k8s: no cluster configured (set KUBECONFIG, or run in a pod)');
  }
  const wanted = s.first('KEYWARD_K8S_CONTEXT');
  if (wanted) {
    if (!config.getContextObject(wanted)) throw new ConfigError(`k8s: ${source} has no context ${wanted}`);
    config.setCurrentContext(wanted);
  }
  if (!config.getCurrentCluster()) throw new ConfigError(`k8s: ${source} has no current cluster`);
  const current = config.getContextObject(config.getCurrentContext());
  const namespace = s.first('KEYWARD_K8S_NAMESPACE') ?? current?.namespace ?? 'default';
  return { config, source, namespace };
}
