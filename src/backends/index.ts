/**
 * Registry of secret backends for placeholders. Each backend is one file named after
 * its scheme (`vault.ts` ↔ `<vault:…>`) and is imported lazily, so a client library
 * loads only when a render actually reads from that backend.
 */

import type { BackendType } from '../types.js';

type Loader = () => Promise<BackendType<unknown>>;

const loaders: Readonly<Record<string, Loader>> = {
  env: async () => (await import('./env.js')).backend as BackendType<unknown>,
  k8s: async () => (await import('./k8s/index.js')).backend as BackendType<unknown>,
  memory: async () => (await import('./memory.js')).backend as BackendType<unknown>,
  sops: async () => (await import('./sops.js')).backend as BackendType<unknown>,
  vault: async () => (await import('./vault/index.js')).backend as BackendType<unknown>,
};

/** Schemes of every registered backend. */
export const backendSchemes: readonly string[] = Object.keys(loaders);

/** The backend for a scheme, or undefined when keyward has none. */
export async function loadBackend(scheme: string): Promise<BackendType<unknown> | undefined> {
  const loader = loaders[scheme];
  return loader ? loader() : undefined;
}
