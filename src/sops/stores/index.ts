/**
 * The stores by format, loaded lazily, and how sops picks a format for a file.
 */

import { KeywardError } from '../../errors.js';
import { FORMATS, type Format, type Store } from './store.js';

export { FORMATS, type Format, type Store, type StoreOptions } from './store.js';

const loaders: Readonly<Record<Format, () => Promise<Store>>> = {
  yaml: async () => (await import('./yaml.js')).yamlStore,
  json: async () => (await import('./json.js')).jsonStore,
  dotenv: async () => (await import('./dotenv.js')).dotenvStore,
  ini: async () => (await import('./ini.js')).iniStore,
  binary: async () => (await import('./binary.js')).binaryStore,
};

export async function loadStore(format: Format): Promise<Store> {
  const loader = loaders[format];
  if (!loader) throw new KeywardError('usage', `${String(format)}: unknown store`);
  return loader();
}

/** The store sops picks for a file name: by extension, anything unknown is binary. */
export function formatForPath(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.env')) return 'dotenv';
  if (lower.endsWith('.ini')) return 'ini';
  return 'binary';
}

export function isFormat(text: string | undefined): text is Format {
  return text !== undefined && (FORMATS as readonly string[]).includes(text);
}
