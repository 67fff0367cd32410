/** `azure_kv` master keys: placeholder until the provider lands. */

import { ConfigError } from '../errors.js';
import type { KeyFields, KeyType } from '../types.js';

const missing = (): never => {
  throw new ConfigError('azure_kv: keyward does not support azure_kv keys yet');
};

export const keyType: KeyType<KeyFields> = {
  id: 'azure_kv',
  hasCreatedAt: true,
  parseRef: (fields) => fields,
  formatRef: (ref) => ({ ...ref }),
  describe: () => 'azure_kv',
  wrap: async () => missing(),
  unwrap: async () => missing(),
};
