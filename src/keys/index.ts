/**
 * Registry of master key types. Each type is one file named after its wire id
 * (`hc-vault.ts` ↔ `hc_vault`) and is imported lazily, so a heavy SDK is loaded
 * only when a file actually uses that kind of key.
 */

import type { KeyType } from '../types.js';

type Loader = () => Promise<KeyType<unknown>>;

const loaders: Readonly<Record<string, Loader>> = {
  age: async () => (await import('./age/index.js')).keyType as KeyType<unknown>,
  pgp: async () => (await import('./pgp.js')).keyType as KeyType<unknown>,
  hc_vault: async () => (await import('./hc-vault.js')).keyType as KeyType<unknown>,
  kms: async () => (await import('./kms.js')).keyType as KeyType<unknown>,
  gcp_kms: async () => (await import('./gcp-kms.js')).keyType as KeyType<unknown>,
  azure_kv: async () => (await import('./azure-kv/index.js')).keyType as KeyType<unknown>,
};

/** Wire ids of every registered key type. */
export const keyTypeIds: readonly string[] = Object.keys(loaders);

/** The key type for a wire id, or undefined when keyward does not know it. */
export async function loadKeyType(id: string): Promise<KeyType<unknown> | undefined> {
  const loader = loaders[id];
  return loader ? loader() : undefined;
}
