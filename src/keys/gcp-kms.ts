/** `gcp_kms` master keys: placeholder until the provider lands. */

import { ConfigError } from '../errors.js';
import type { KeyFields, KeyType } from '../types.js';

const missing = (): never => {
  throw new ConfigError('gcp_kms: keyward does not support gcp_kms keys yet');
};

export const keyType: KeyType<KeyFields> = {
  id: 'gcp_kms',
  hasCreatedAt: true,
  parseRef: (fields) => fields,
  formatRef: (ref) => ({ ...ref }),
  describe: () => 'gcp_kms',
  wrap: async () => missing(),
  unwrap: async () => missing(),
};
