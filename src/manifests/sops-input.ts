/**
 * SOPS files as render inputs and as the `sops` backend: decrypting through the
 * core with whatever master keys the Context's settings make available. A manifest
 * source that is a SOPS file is decrypted to plaintext YAML (comments kept); a file
 * named by `<sops:path#key>` is decrypted to plain data for key lookups.
 */

import { BackendError, KeywardError } from '../errors.js';
import { decryptBytes } from '../sops/file.js';
import { formatForPath } from '../sops/stores/index.js';
import type { BackendHelpers, Context } from '../types.js';
import type { ManifestSource } from './render.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (data: Uint8Array): string => new TextDecoder().decode(data);

/** The plaintext of a SOPS-encrypted manifest source, as YAML. */
export async function decryptSource(source: ManifestSource, ctx: Context): Promise<string> {
  const inputFormat = source.name.endsWith('.json') ? 'json' : 'yaml';
  const result = await decryptBytes(bytes(source.text), { inputFormat, outputFormat: 'yaml' }, ctx);
  return decode(result.output);
}

/** The helpers backends get from the core: `decryptFile` for `<sops:…>`. */
export function backendHelpers(ctx: Context): BackendHelpers {
  return {
    async decryptFile(path: string): Promise<unknown> {
      let input: Uint8Array;
      try {
        input = await ctx.readFile(path);
      } catch {
        throw new BackendError(`sops: cannot read ${path}`);
      }
      const format = formatForPath(path);
      try {
        const result = await decryptBytes(input, { inputFormat: format, outputFormat: 'json' }, ctx);
        return JSON.parse(decode(result.output)) as unknown;
      } catch (err) {
        // the field's report names the placeholder's location: this names the file it read
        if (err instanceof KeywardError) throw new KeywardError(err.code, `sops: ${path}: ${err.message}`);
        throw err;
      }
    },
  };
}

/** Renders with SOPS inputs and the `sops` backend wired to the core. */
export const sopsAware = (ctx: Context) => ({
  helpers: backendHelpers(ctx),
  decryptSource: (source: ManifestSource) => decryptSource(source, ctx),
});
